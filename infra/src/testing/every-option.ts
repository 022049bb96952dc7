/** Context with every optional choice made: EC2 Spot workers in an existing VPC, HTTPS, paging, S3 sources by role, job manifest buckets, per-origin limits. */
export const EVERY_OPTION = {
  ec2Spot: 'true',
  ec2SpotInstanceTypes: 'm7i.large,m6i.large',
  vpcId: 'vpc-0a1b2c3d4e5f67890',
  vpcAvailabilityZones: 'eu-west-1a,eu-west-1b',
  vpcPublicSubnetIds: 'subnet-0aaa0000000000001,subnet-0aaa0000000000002',
  vpcPrivateSubnetIds: 'subnet-0bbb0000000000001,subnet-0bbb0000000000002',
  apiCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0b2c5ed4-7d33-4d3f-9d31-2f2b6e0c0a11',
  alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ferry-pager',
  sourceRoleArns: 'arn:aws:iam::210987654321:role/ferry-source-reader',
  jobManifestBuckets: 'ferry-manifests-a,ferry-manifests-b',
  httpHostLimits: 'default=8/20,files.example.com=2/5',
};
