// The console's few icons, as inline SVG built with DOM calls (no markup strings).

const SVG = 'http://www.w3.org/2000/svg';

function icon(...paths) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  for (const d of paths) {
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

export const chatIcon = () => icon(
  'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z',
  'M7 9h10M7 13h6',
);

export const bellIcon = () => icon(
  'M6 16V11a6 6 0 0 1 12 0v5l2 2H4z',
  'M10 20a2 2 0 0 0 4 0',
);

export const closeIcon = () => icon('M6 6l12 12M18 6L6 18');

export const sendIcon = () => icon('M3 11l18-8-8 18-2-8-8-2z');

export const attachIcon = () => icon('M21 11.5l-8.5 8.5a5 5 0 0 1-7-7L14 4.5a3.5 3.5 0 0 1 5 5L10.5 18a2 2 0 0 1-3-3L15 7.5');
