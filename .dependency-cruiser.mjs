/**
 * npm run lint's dependency check: no import cycle between the folders of the shared layer (a folder that needs
 * another must not be needed by it, so each can be read, tested and moved on its own), and load/ never imports test/
 * (test/ uses load/'s clients).
 * @type {import('dependency-cruiser').IConfiguration}
 */
export default {
  forbidden: [
    {
      name: 'no-folder-cycle-in-shared',
      severity: 'error',
      scope: 'folder',
      from: { path: '^layers/shared/src(/|$)' },
      to: { path: '^layers/shared/src(/|$)', circular: true },
    },
    {
      name: 'load-not-on-test',
      comment: 'test/ imports load/ (its clients, cost counters): load/ importing test/ would close a cycle',
      severity: 'error',
      from: { path: '^load/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|\\.stack|\\.serverless|load/reports|load/bench/dist|tmp-probe)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
