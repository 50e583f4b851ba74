// Renders the app icons the platforms want as PNG from style/icon.svg's design, with the
// project's own headless Chromium: `node scripts/icons.mjs` (run after changing the icon; the
// PNGs are committed). iOS takes only a PNG apple-touch-icon, square (it rounds the corners
// itself); Android wants 192 and 512 px icons, and a maskable one whose artwork keeps to the
// central 80 % safe zone.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const style = join(import.meta.dirname, '..', 'style');
const rounded = readFileSync(join(style, 'icon.svg'), 'utf8');
// Full bleed: the same artwork on a square background.
const square = rounded.replace('rx="14" ', '');
// Maskable: square background, artwork scaled to the safe zone.
const maskable = square
  .replace('<rect x="12"', '<g transform="translate(6.4 6.4) scale(0.8)"><rect x="12"')
  .replace('</svg>', '</g></svg>');

const icons = [
  ['icon-192.png', 192, rounded],
  ['icon-512.png', 512, rounded],
  ['icon-maskable-512.png', 512, maskable],
  ['apple-touch-icon.png', 180, square],
];

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
for (const [name, size, svg] of icons) {
  const page = await browser.newPage({ viewport: { width: size, height: size } });
  const sized = svg.replace('<svg ', `<svg width="${size}" height="${size}" `);
  await page.setContent(`<html><body style="margin:0;background:transparent">${sized}</body></html>`);
  await page.screenshot({ path: join(style, name), omitBackground: true });
  await page.close();
  console.log(`style/${name}: ${size}x${size}`);
}
await browser.close();
