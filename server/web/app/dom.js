// DOM helpers. Everything a user wrote (names, emails, messages) reaches the
// page as text nodes or through textContent and title, never as HTML: there
// is no innerHTML in this app.

export const $ = (id) => document.getElementById(id)

// h makes an element: h('li', { className: 'x', title: 't' }, 'text', child).
// Strings become text nodes; props are set as properties (className,
// textContent, title, dateTime, type…), except data-* and aria-* attributes.
export function h (tag, props = {}, ...children) {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue
    if (key.startsWith('data-') || key.startsWith('aria-')) {
      el.setAttribute(key, String(value))
    } else {
      el[key] = value
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue
    el.append(typeof child === 'string' ? document.createTextNode(child) : child)
  }
  return el
}

export function show (el, visible = true) { el.hidden = !visible }

// displayName is what the page calls a user: their name, else their email.
export function displayName (user) {
  if (!user) return 'Someone'
  const name = typeof user.name === 'string' ? user.name.trim() : ''
  if (name) return name
  return typeof user.email === 'string' && user.email ? user.email : 'Someone'
}

// initials are one or two letters of a user's name (or email) for their
// avatar. Pictures are not loaded: the page loads nothing from other origins.
export function initials (user) {
  const name = displayName(user)
  const words = name.includes('@') ? [name] : name.split(/\s+/).filter(Boolean)
  const first = (w) => Array.from(w)[0] || ''
  const letters = words.length > 1 ? first(words[0]) + first(words[words.length - 1]) : first(words[0] || '?')
  return letters.toUpperCase()
}

// hue picks one of the avatar colours (.hue-0 … .hue-7) from a user id.
export function hue (id) {
  const s = String(id ?? '')
  let n = 0
  for (let i = 0; i < s.length; i++) n = (n * 31 + s.charCodeAt(i)) >>> 0
  return n % 8
}

export function avatar (user, extra = '') {
  return h('span', { className: `avatar hue-${hue(user?._id)} ${extra}`.trim(), 'aria-hidden': 'true' }, initials(user))
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' })
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' })
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' })
const yearDayFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'long', day: 'numeric' })

export function timeOf (ms) { return timeFormat.format(new Date(ms)) }
export function fullTimeOf (ms) { return fullFormat.format(new Date(ms)) }

const startOfDay = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime()

// dayKey and dayLabel group messages by the local day they were written.
export function dayKey (ms) { return startOfDay(new Date(ms)) }

export function dayLabel (ms) {
  const day = dayKey(ms)
  const today = startOfDay(new Date())
  if (day === today) return 'Today'
  if (today - day <= 86400000 * 1.5 && today > day) return 'Yesterday'
  const d = new Date(ms)
  return d.getFullYear() === new Date().getFullYear() ? dayFormat.format(d) : yearDayFormat.format(d)
}
