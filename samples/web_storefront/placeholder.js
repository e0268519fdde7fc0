// Product pictures drawn as inline SVG: a packshot silhouette per kind of product (bottle, jar,
// tube, palette, ...) on a soft background whose colours come from the product id, so every card
// looks different and the same product always looks the same. No image files to ship.

function hash(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

const SHAPES = {
  bottle: (c) => `<rect x="82" y="40" width="36" height="22" rx="4" fill="${c.cap}"/>
    <rect x="64" y="60" width="72" height="104" rx="16" fill="${c.body}"/>
    <rect x="74" y="96" width="52" height="36" rx="4" fill="#fff" opacity=".85"/>`,
  dropper: (c) => `<ellipse cx="100" cy="42" rx="12" ry="14" fill="${c.cap}"/>
    <rect x="90" y="52" width="20" height="20" fill="${c.cap}"/>
    <rect x="70" y="72" width="60" height="92" rx="12" fill="${c.body}"/>
    <rect x="80" y="102" width="40" height="30" rx="3" fill="#fff" opacity=".85"/>`,
  jar: (c) => `<rect x="56" y="78" width="88" height="20" rx="6" fill="${c.cap}"/>
    <rect x="52" y="96" width="96" height="66" rx="14" fill="${c.body}"/>
    <rect x="70" y="114" width="60" height="28" rx="3" fill="#fff" opacity=".85"/>`,
  tube: (c) => `<rect x="84" y="146" width="32" height="20" rx="3" fill="${c.cap}"/>
    <path d="M70 40 h60 l-12 106 h-36 z" fill="${c.body}"/>
    <rect x="84" y="74" width="32" height="40" rx="3" fill="#fff" opacity=".85"/>`,
  palette: (c) => `<rect x="44" y="64" width="112" height="80" rx="10" fill="${c.cap}"/>
    <circle cx="72" cy="92" r="13" fill="${c.body}"/><circle cx="100" cy="92" r="13" fill="${c.accent}"/>
    <circle cx="128" cy="92" r="13" fill="${c.body}" opacity=".6"/>
    <circle cx="72" cy="120" r="13" fill="${c.accent}" opacity=".6"/>
    <circle cx="100" cy="120" r="13" fill="${c.body}" opacity=".8"/>
    <circle cx="128" cy="120" r="13" fill="${c.accent}"/>`,
  lipstick: (c) => `<rect x="80" y="104" width="40" height="60" rx="4" fill="${c.cap}"/>
    <rect x="84" y="80" width="32" height="26" fill="#d9d9d9"/>
    <path d="M86 80 v-30 l28 -12 v42 z" fill="${c.body}"/>`,
  perfume: (c) => `<rect x="88" y="44" width="24" height="18" rx="3" fill="${c.cap}"/>
    <rect x="94" y="60" width="12" height="10" fill="${c.cap}"/>
    <rect x="58" y="70" width="84" height="92" rx="22" fill="${c.body}" opacity=".9"/>
    <rect x="76" y="104" width="48" height="24" rx="3" fill="#fff" opacity=".8"/>`,
  tool: (c) => `<rect x="92" y="86" width="16" height="80" rx="6" fill="${c.cap}"/>
    <path d="M80 40 q20 -10 40 0 l-6 50 h-28 z" fill="${c.body}"/>`,
  box: (c) => `<rect x="54" y="58" width="92" height="106" rx="6" fill="${c.body}"/>
    <rect x="54" y="58" width="92" height="18" fill="${c.cap}"/>
    <rect x="68" y="100" width="64" height="34" rx="3" fill="#fff" opacity=".85"/>`,
};

function shapeFor(product) {
  const t = `${product.category} ${product.title}`.toLowerCase();
  if (/serum|oil|dropper|essence/.test(t)) return 'dropper';
  if (/cream|mask|balm|butter|scrub/.test(t)) return 'jar';
  if (/lip/.test(t)) return 'lipstick';
  if (/shadow|palette|blush|powder|bronzer/.test(t)) return 'palette';
  if (/fragrance|perfume|parfum|cologne|eau de/.test(t)) return 'perfume';
  if (/tooth|paste|gel|cleanser|sunscreen|lotion/.test(t)) return 'tube';
  if (/brush|tool|razor|comb|dryer|iron|nail/.test(t)) return 'tool';
  if (/vitamin|supplement|capsule|tablet|health/.test(t)) return 'box';
  return 'bottle';
}

function escapeXml(s) {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function productImage(product, { label = true } = {}) {
  const h = hash(product.product_id);
  const hue = h % 360;
  const c = {
    bg1: `hsl(${hue} 60% 95%)`,
    bg2: `hsl(${(hue + 40) % 360} 55% 88%)`,
    body: `hsl(${(hue + 180) % 360} 45% 62%)`,
    cap: `hsl(${(hue + 200) % 360} 30% 30%)`,
    accent: `hsl(${(hue + 90) % 360} 55% 60%)`,
  };
  const brand = escapeXml((product.brand || 'Vitrine').slice(0, 14));
  return `<svg viewBox="0 0 200 200" xmlns="http://www.w3.org/2000/svg" role="img"
    aria-label="${escapeXml(product.title)}">
    <defs><linearGradient id="g${h}" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="${c.bg1}"/><stop offset="1" stop-color="${c.bg2}"/>
    </linearGradient></defs>
    <rect width="200" height="200" fill="url(#g${h})"/>
    <ellipse cx="100" cy="170" rx="58" ry="8" fill="#000" opacity=".08"/>
    ${SHAPES[shapeFor(product)](c)}
    ${label ? `<text x="100" y="190" text-anchor="middle" font-family="Georgia, serif"
      font-size="11" fill="${c.cap}" letter-spacing="1.5">${brand.toUpperCase()}</text>` : ''}
  </svg>`;
}
