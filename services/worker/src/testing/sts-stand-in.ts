import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './listen-on-loopback.ts';
import { escapeXml } from './s3-part-ledger.ts';

/** One AssumeRole request, as the stand-in read it from the Query API form. */
export interface AssumeRoleCall {
  roleArn: string;
  roleSessionName: string;
  externalId?: string;
  durationSeconds?: number;
}

/** Credentials the stand-in handed out, so a test can look for them where they must not be. */
export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** An STS error answer: status and the Code/Message of its ErrorResponse. */
export interface StsFault {
  status: number;
  code: string;
  message: string;
}

export const ACCESS_DENIED: StsFault = {
  status: 403,
  code: 'AccessDenied',
  message: 'User is not authorized to perform: sts:AssumeRole',
};
export const THROTTLING: StsFault = { status: 400, code: 'Throttling', message: 'Rate exceeded' };

export interface StsStandInOptions {
  /** Decides, per AssumeRole, whether to refuse it instead of issuing credentials. */
  fault?: (call: AssumeRoleCall) => StsFault | null | undefined;
}

export interface StsStandIn {
  /** For STS_ENDPOINT. */
  url: string;
  /** Every AssumeRole asked for, refused or not. */
  calls: AssumeRoleCall[];
  issued: IssuedCredentials[];
  close(): Promise<void>;
}

const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

/**
 * A real HTTP server answering STS's AssumeRole (Query API: a form POST, an XML answer) as AWS does,
 * with fresh random credentials for the duration asked (an hour by default). It checks no signature:
 * the local S3 server takes any credentials, so what it issues can really be used to read.
 */
export async function startStsStandIn(options: StsStandInOptions = {}): Promise<StsStandIn> {
  const standIn: StsStandIn = { url: '', calls: [], issued: [], close: async () => {} };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    if (req.method !== 'POST' || form.get('Action') !== 'AssumeRole') {
      sendXml(res, 400, errorXml({ status: 400, code: 'InvalidAction', message: 'Only AssumeRole here' }));
      return;
    }
    const duration = form.get('DurationSeconds');
    const externalId = form.get('ExternalId');
    const call: AssumeRoleCall = {
      roleArn: form.get('RoleArn') ?? '',
      roleSessionName: form.get('RoleSessionName') ?? '',
      ...(externalId !== null ? { externalId } : {}),
      ...(duration !== null ? { durationSeconds: Number(duration) } : {}),
    };
    standIn.calls.push(call);
    const fault = options.fault?.(call);
    if (fault) {
      sendXml(res, fault.status, errorXml(fault));
      return;
    }
    const issued: IssuedCredentials = {
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64url'),
      sessionToken: randomBytes(48).toString('base64'),
      // STS states the expiry to the second.
      expiration: new Date(Math.floor(Date.now() / 1000 + (call.durationSeconds ?? 3600)) * 1000),
    };
    standIn.issued.push(issued);
    const roleName = call.roleArn.split('/').pop() ?? '';
    const account = /^arn:[^:]+:iam::(\d{12}):/.exec(call.roleArn)?.[1] ?? '000000000000';
    sendXml(
      res,
      200,
      `<AssumeRoleResponse xmlns="${NAMESPACE}">` +
        '<AssumeRoleResult>' +
        '<AssumedRoleUser>' +
        `<AssumedRoleId>AROA${randomBytes(8).toString('hex').toUpperCase()}:${escapeXml(call.roleSessionName)}</AssumedRoleId>` +
        `<Arn>arn:aws:sts::${account}:assumed-role/${escapeXml(roleName)}/${escapeXml(call.roleSessionName)}</Arn>` +
        '</AssumedRoleUser>' +
        '<Credentials>' +
        `<AccessKeyId>${issued.accessKeyId}</AccessKeyId>` +
        `<SecretAccessKey>${issued.secretAccessKey}</SecretAccessKey>` +
        `<SessionToken>${issued.sessionToken}</SessionToken>` +
        `<Expiration>${issued.expiration.toISOString().replace('.000Z', 'Z')}</Expiration>` +
        '</Credentials>' +
        '</AssumeRoleResult>' +
        `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>` +
        '</AssumeRoleResponse>',
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const listening = await listenOnLoopback(server);
  standIn.url = listening.url;
  standIn.close = listening.close;
  return standIn;
}

function errorXml(fault: StsFault): string {
  return (
    `<ErrorResponse xmlns="${NAMESPACE}">` +
    `<Error><Type>${fault.status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${escapeXml(fault.code)}</Code><Message>${escapeXml(fault.message)}</Message></Error>` +
    `<RequestId>${randomUUID()}</RequestId>` +
    '</ErrorResponse>'
  );
}

function sendXml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
