// Installing kubets on a host: `kubets install server|agent`, `kubets init`, `kubets join`, `kubets uninstall`.
export { InstallError, type InstallErrorCode } from './errors.js';
export { realHost, Systemd, type Host } from './host.js';
export { layout, type Layout, AGENT_UNIT, SERVER_UNIT } from './layout.js';
export { init, installAgent, installServer, join, type InstallDeps } from './install.js';
export { uninstall, type UninstallReport } from './uninstall.js';
