// valibot (under @bull-board/api and fauxqs) declares TypeScript as an optional peer; pnpm satisfies it
// from the workspace root, which would put 23 MB of TypeScript into the production bundle the image
// runs (valibot needs it only for type-level use). Dropping that one optional peer keeps it out.
module.exports = {
  hooks: {
    readPackage(pkg) {
      if (pkg.name === 'valibot' && pkg.peerDependencies?.typescript) {
        delete pkg.peerDependencies.typescript;
        if (pkg.peerDependenciesMeta) delete pkg.peerDependenciesMeta.typescript;
      }
      return pkg;
    },
  },
};
