// valibot (under @bull-board/api and fauxqs) declares TypeScript as an optional peer; pnpm satisfies it
// from the workspace root, which would put 23 MB of TypeScript into the production bundle the image
// runs (valibot needs it only for type-level use). Dropping that one optional peer keeps it out.
// protobufjs (under the OpenTelemetry SDK's gRPC exporters) lists @types/node as a dependency for
// its .d.ts files alone; dropped too, so no type package reaches the bundle.
module.exports = {
  hooks: {
    readPackage(pkg) {
      if (pkg.name === 'valibot' && pkg.peerDependencies?.typescript) {
        delete pkg.peerDependencies.typescript;
        if (pkg.peerDependenciesMeta) delete pkg.peerDependenciesMeta.typescript;
      }
      if (pkg.name === 'protobufjs' && pkg.dependencies?.['@types/node']) {
        delete pkg.dependencies['@types/node'];
      }
      return pkg;
    },
  },
};
