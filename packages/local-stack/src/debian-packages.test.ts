import { describe, expect, it } from 'vitest';
import { ensureDebianPackages } from './debian-packages.ts';

describe('ensureDebianPackages', () => {
  it('answers the path of each binary already installed, installing nothing', () => {
    const paths = ensureDebianPackages(['coreutils'], ['ls', 'cat'], { allowInstall: false });
    expect(paths.get('ls')).toMatch(/\/ls$/);
    expect(paths.get('cat')).toMatch(/\/cat$/);
  });

  it('names what is missing and how to install it when it may not install', () => {
    expect(() =>
      ensureDebianPackages(['ferry-no-such-package'], ['ferry-no-such-binary'], { allowInstall: false }),
    ).toThrow(
      'ferry-no-such-binary not installed: install it with "apt-get install -y ferry-no-such-package" (Debian/Ubuntu), or run as root to have it installed',
    );
  });
});
