import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const packageJson = (): { version: string } => {
  for (const up of ['..', '../..', '../../..', '../../../..']) {
    try {
      return JSON.parse(readFileSync(join(__dirname, up, 'package.json'), 'utf8'));
    } catch {
      // try the next level
    }
  }
  return { version: '0.0.0' };
};

export const VERSION = packageJson().version;
