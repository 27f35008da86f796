// The installer's coded errors. Each message is one line that names the problem and the fix; the CLI prints it as is.
export type InstallErrorCode =
  | 'INSTALL_NOT_ROOT'
  | 'INSTALL_BAD_INPUT'
  | 'INSTALL_CONFLICT'
  | 'INSTALL_PREREQUISITE'
  | 'INSTALL_JOIN'
  | 'INSTALL_PRODUCT'
  | 'INSTALL_COMMAND_FAILED'
  | 'INSTALL_START_FAILED'
  | 'UNINSTALL_INCOMPLETE';

export class InstallError extends Error {
  readonly code: InstallErrorCode;
  constructor(code: InstallErrorCode, message: string) {
    super(message);
    this.name = 'InstallError';
    this.code = code;
  }
}
