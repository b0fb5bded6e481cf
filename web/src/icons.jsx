// Inline SVG pictures for the problem categories: simple shapes, thick strokes, no text inside.
// The problem categories, in the order the customer sees them (the booking form, the helper's skills).
export const CATEGORIES = ["computer", "printer", "phone_tablet", "internet_wifi", "tv", "smart_home", "other"];

const P = { fill: "none", stroke: "currentColor", "stroke-width": 3, "stroke-linecap": "round", "stroke-linejoin": "round" };

const shapes = {
  computer: <g {...P}><rect x="8" y="10" width="48" height="32" rx="3" /><path d="M24 54h16M32 42v12" /></g>,
  printer: <g {...P}><path d="M18 24V8h28v16" /><rect x="8" y="24" width="48" height="20" rx="3" /><path d="M18 38h28v18H18z" /><circle cx="47" cy="31" r="1.5" /></g>,
  phone_tablet: <g {...P}><rect x="8" y="6" width="30" height="46" rx="4" /><rect x="40" y="22" width="16" height="32" rx="3" /><path d="M20 46h6M46 49h4" /></g>,
  internet_wifi: <g {...P}><path d="M8 26a34 34 0 0 1 48 0M16 34a22 22 0 0 1 32 0M24 42a10 10 0 0 1 16 0" /><circle cx="32" cy="50" r="2.5" /></g>,
  tv: <g {...P}><rect x="6" y="14" width="52" height="34" rx="3" /><path d="M22 6l10 8 10-8M22 56h20" /></g>,
  smart_home: <g {...P}><path d="M8 30L32 10l24 20M14 26v26h36V26" /><path d="M26 40a8 8 0 0 1 12 0M22 35a14 14 0 0 1 20 0" /><circle cx="32" cy="45" r="1.5" /></g>,
  other: <g {...P}><circle cx="32" cy="32" r="24" /><path d="M25 25a7 7 0 1 1 10 6c-2 1-3 3-3 5v2" /><circle cx="32" cy="46" r="1.5" /></g>,
};

export function CategoryIcon({ name }) {
  return <svg class="cat-icon" viewBox="0 0 64 64" width="64" height="64" aria-hidden="true" focusable="false">{shapes[name] || shapes.other}</svg>;
}

export function Check() {
  return <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false"><path d="M4 12l5 5L20 6" {...P} /></svg>;
}
