// Bundles the extension (Node, CommonJS) and the chat webview (browser) with esbuild.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const common = { bundle: true, minify: production, sourcemap: !production, logLevel: 'warning' };

const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs',
    target: 'node20', external: ['vscode'] },
  { ...common, entryPoints: ['webview/chat.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'iife',
    target: 'chrome120' },
];

mkdirSync('dist', { recursive: true });
copyFileSync('webview/chat.css', 'dist/webview.css');
if (watch) {
  for (const options of builds) {
    await (await esbuild.context(options)).watch();
  }
} else {
  await Promise.all(builds.map(options => esbuild.build(options)));
}
