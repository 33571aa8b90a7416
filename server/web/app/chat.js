// The chat page of Pinion's default app: sign up, log in, people and messages
// in real time, rooms when the token's "channels" claim lists some, logout,
// and clear word when the server ends the session.
//
// The access token lives in sessionStorage: it survives a reload of this tab
// (the page logs the new socket in with it), it is not shared with other tabs
// or kept after the tab closes, and logout or the end of the session removes
// it. The page's Content-Security-Policy lets only the server's own scripts
// run, and the page puts what users wrote into text nodes only, so a script
// injected through a name or a message cannot run and read it.
import { connect } from './feathers.js'
import { $, h, show, displayName, avatar, timeOf, fullTimeOf, dayKey, dayLabel } from './dom.js'

const TOKEN_KEY = 'pinion-chat/accessToken'
const ROOM_KEY = 'pinion-chat/room'
const PAGE = 50 // messages loaded at a time
const KEEP = 500 // messages kept on screen
const GROUP_MS = 5 * 60 * 1000 // messages of one author this close are grouped
const TITLE = document.title

const storage = {
  get (key) { try { return sessionStorage.getItem(key) } catch { return null } },
  set (key, value) { try { sessionStorage.setItem(key, value) } catch {} },
  remove (key) { try { sessionStorage.removeItem(key) } catch {} }
}

const client = connect()
const { socket } = client
const authentication = client.service('authentication')
const users = client.service('users')
const messages = client.service('messages')
const rooms = client.service('rooms')

const state = {
  screen: 'splash',
  session: 0, // counts logins: answers that belong to an earlier one are dropped
  user: null,
  rooms: [], // the rooms the token's channels claim lets this user join
  room: null, // the room on screen; null is Everyone (messages without a room)
  people: new Map(), // String(id) → user
  peopleTotal: 0,
  peopleState: 'loading',
  list: [], // the messages on screen, oldest first
  listState: 'loading',
  listError: '',
  hasEarlier: false,
  unread: new Map(), // room key ('' for Everyone) → count
  hiddenUnread: 0, // messages that came while the tab was hidden
  authMode: 'login',
  busy: false
}

const idOf = (v) => String(v ?? '')
const roomKey = (room) => room ?? ''
const roomOf = (message) => (typeof message?.channel === 'string' && message.channel !== '' ? message.channel : null)
const rows = (page) => (Array.isArray(page) ? page : Array.isArray(page?.data) ? page.data : [])
const totalOf = (page) => (Array.isArray(page) ? page.length : typeof page?.total === 'number' ? page.total : rows(page).length)

// Screens

function showScreen (name) {
  state.screen = name
  show($('splash'), name === 'splash')
  show($('auth'), name === 'auth')
  show($('chat'), name === 'chat')
  document.body.dataset.screen = name
}

function splash (text) {
  $('splash-text').textContent = text
}

// Connection

socket.on('connect', () => {
  renderConnection()
  resume()
})

socket.on('disconnect', (reason) => {
  renderConnection()
  // A disconnect the server chose is not retried by socket.io itself.
  if (reason === 'io server disconnect') socket.connect()
})

socket.on('connect_error', () => {
  if (state.screen === 'splash') splash('Cannot reach the server. Retrying…')
  renderConnection()
})

function renderConnection () {
  const pill = $('connection')
  const live = socket.connected
  pill.textContent = live ? 'Live' : 'Reconnecting…'
  pill.className = live ? 'pill pill-live' : 'pill pill-wait'
  if (state.screen === 'chat') {
    banner(live ? '' : 'Connection lost. Reconnecting… new messages will appear when it is back.')
  }
  $('send').disabled = !live
}

function banner (text) {
  const el = $('banner')
  el.textContent = text
  show(el, text !== '')
}

// resume logs the (new) socket in with the stored token: after a reload, and
// after every reconnect, since a new connection starts anonymous.
async function resume () {
  const token = storage.get(TOKEN_KEY)
  if (!token) {
    if (state.screen !== 'auth') showAuth()
    return
  }
  if (state.screen === 'splash') splash('Restoring your session…')
  const session = state.session
  try {
    const result = await authentication.create({ strategy: 'jwt', accessToken: token })
    if (session !== state.session) return
    await enterChat(result)
  } catch (err) {
    if (session !== state.session) return
    if (err.code >= 400 && err.code < 500) {
      storage.remove(TOKEN_KEY)
      leaveChat()
      showAuth(noticeForToken(err))
    } else {
      leaveChat()
      showAuth({ kind: 'error', title: 'Your session could not be restored', text: `${err.message}. Reload the page to try again, or log in.` })
    }
  }
}

function noticeForToken (err) {
  if (/expired/i.test(err.message)) return notices.expired
  if (/revoked/i.test(err.message)) return notices.revoked
  return notices.ended
}

const notices = {
  expired: { kind: 'warning', title: 'Your session expired', text: 'Sessions end after a while, for your safety. Please log in again.' },
  revoked: { kind: 'warning', title: 'You were logged out', text: 'This session was ended elsewhere: a logout in another tab, a new password, or the account was removed. Please log in again.' },
  ended: { kind: 'warning', title: 'Your session has ended', text: 'Please log in again.' },
  loggedOut: { kind: 'info', title: 'You have logged out', text: 'See you soon.' }
}

// The server ends sessions on its own: the token expired, or it was revoked
// (a logout elsewhere, a password change, the user's removal). The socket
// stays open, anonymous. A renewal carries a fresh token to keep for the next
// reload or reconnect.
socket.on('authentication expired', () => sessionEnded(notices.expired))
socket.on('authentication revoked', () => sessionEnded(notices.revoked))
socket.on('authentication renewed', (data) => {
  if (state.screen === 'chat' && typeof data?.accessToken === 'string') storage.set(TOKEN_KEY, data.accessToken)
})

function sessionEnded (notice) {
  if (state.screen !== 'chat') return
  storage.remove(TOKEN_KEY)
  const email = state.user?.email
  leaveChat()
  showAuth(notice, email)
}

// failed handles an error of a call made while logged in: a 401 means the
// session is over, whatever the event that should have said so.
function failed (err) {
  if (err.code === 401 && state.screen === 'chat') {
    sessionEnded(noticeForToken(err))
    return true
  }
  return false
}

// Logging in and signing up

function showAuth (notice = null, email = '') {
  showScreen('auth')
  renderNotice(notice)
  if (email) $('auth-email').value = email
  authError('')
  const focus = $('auth-email').value ? $('auth-password') : $('auth-email')
  focus.focus()
}

function renderNotice (notice) {
  const el = $('auth-notice')
  el.replaceChildren()
  if (!notice) {
    show(el, false)
    return
  }
  el.className = `notice notice-${notice.kind}`
  el.append(h('strong', {}, notice.title), ' ', notice.text)
  show(el, true)
}

function authError (text) {
  const el = $('auth-error')
  el.textContent = text
  show(el, text !== '')
}

function setAuthMode (mode) {
  state.authMode = mode
  const signup = mode === 'signup'
  for (const [id, on] of [['tab-login', !signup], ['tab-signup', signup]]) {
    const tab = $(id)
    tab.setAttribute('aria-selected', String(on))
    tab.tabIndex = on ? 0 : -1
  }
  $('auth-form').setAttribute('aria-labelledby', signup ? 'tab-signup' : 'tab-login')
  $('auth-title').textContent = signup ? 'Create your account' : 'Welcome back'
  $('auth-lead').textContent = signup ? 'It takes an email and a password of at least 8 characters.' : 'Log in to join the conversation.'
  show($('field-name'), signup)
  $('auth-name').disabled = !signup
  $('auth-password').autocomplete = signup ? 'new-password' : 'current-password'
  $('auth-submit').textContent = signup ? 'Create account' : 'Log in'
  authError('')
}

$('tab-login').addEventListener('click', () => setAuthMode('login'))
$('tab-signup').addEventListener('click', () => setAuthMode('signup'))
document.querySelector('#auth .tabs').addEventListener('keydown', (e) => {
  if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
    setAuthMode(state.authMode === 'login' ? 'signup' : 'login')
    $(state.authMode === 'login' ? 'tab-login' : 'tab-signup').focus()
  }
})

$('auth-form').addEventListener('submit', async (e) => {
  e.preventDefault()
  if (state.busy) return
  const email = $('auth-email').value.trim()
  const password = $('auth-password').value
  const name = $('auth-name').value.trim()
  const signup = state.authMode === 'signup'
  setBusy(true, signup ? 'Creating your account…' : 'Logging in…')
  authError('')
  renderNotice(null)
  try {
    if (signup) await users.create(name ? { email, password, name } : { email, password })
    const result = await authentication.create({ strategy: 'local', email, password })
    $('auth-password').value = ''
    $('auth-name').value = ''
    setAuthMode('login')
    await enterChat(result)
  } catch (err) {
    authError(friendly(err, signup))
    if (err.code === 409) $('auth-password').focus()
  } finally {
    setBusy(false)
  }
})

function setBusy (busy, text) {
  state.busy = busy
  const button = $('auth-submit')
  button.disabled = busy
  if (busy) button.textContent = text
  else button.textContent = state.authMode === 'signup' ? 'Create account' : 'Log in'
}

function friendly (err, signup) {
  if (err.code === 409) return 'There is an account with this email already. Log in instead.'
  if (err.code === 401) return signup ? 'Your account was created, but logging in failed. Please log in.' : 'That email and password do not match.'
  if (err.code === 429) return 'Too many attempts. Please wait a few minutes, then try again.'
  if (err.code === 408) return 'The server did not answer. Check your connection and try again.'
  if (err.code === 400 && Array.isArray(err.data) && err.data.length > 0) return problems(err.data)
  return err.message || 'Something went wrong. Please try again.'
}

// problems words a validation error's problems ({instancePath: '/password',
// message: 'must be at least 8 characters long'}) as sentences, one per
// field: "Password must be at least 8 characters long."
function problems (list) {
  const names = { '/email': 'Email', '/password': 'Password', '/name': 'Name' }
  const seen = new Set()
  const out = []
  for (const p of list) {
    const path = typeof p?.instancePath === 'string' ? p.instancePath : ''
    if (seen.has(path) || typeof p?.message !== 'string') continue
    seen.add(path)
    const name = names[path] || (path ? `'${path.slice(1).replaceAll('/', '.')}'` : 'The form')
    out.push(`${name} ${p.message}.`)
  }
  return out.join(' ') || 'Please check the form.'
}

// The chat

function claimedRooms (payload) {
  const list = Array.isArray(payload?.channels) ? payload.channels : []
  return [...new Set(list.filter((r) => typeof r === 'string' && r !== ''))]
}

async function enterChat (result) {
  const session = ++state.session
  storage.set(TOKEN_KEY, result.accessToken)
  state.user = result.user
  state.rooms = claimedRooms(result.authentication?.payload)
  const saved = storage.get(ROOM_KEY)
  state.room = state.rooms.includes(saved) ? saved : null
  state.unread.clear()
  state.people.clear()
  if (state.user) state.people.set(idOf(state.user._id), state.user)
  state.peopleState = 'loading'
  renderMe()
  renderRooms()
  renderRoomHeader()
  renderPeople()
  showScreen('chat')
  renderConnection()
  // Join every room of the claim, so that its messages arrive (and count as
  // unread) while another room is on screen.
  await Promise.allSettled(state.rooms.map((name) => rooms.create({ name })))
  if (session !== state.session) return
  await Promise.all([loadPeople(session), loadMessages(session)])
}

function leaveChat () {
  state.session++
  state.user = null
  state.rooms = []
  state.room = null
  state.people.clear()
  state.list = []
  state.unread.clear()
  state.hiddenUnread = 0
  document.title = TITLE
  closeMenu()
  banner('')
}

$('logout').addEventListener('click', async () => {
  const button = $('logout')
  button.disabled = true
  const email = state.user?.email
  const session = ++state.session
  try {
    // Revokes the token on the server, for every tab of this login. Without
    // a connection the token is only forgotten here.
    if (socket.connected) await authentication.remove(null)
  } catch {
    // Revoked or expired already: logged out all the same.
  }
  button.disabled = false
  if (session !== state.session && state.screen !== 'chat') return
  storage.remove(TOKEN_KEY)
  storage.remove(ROOM_KEY)
  leaveChat()
  showAuth(notices.loggedOut, email)
})

function renderMe () {
  const me = state.user
  $('me-avatar').replaceWith(Object.assign(avatar(me), { id: 'me-avatar' }))
  $('me-name').textContent = displayName(me)
  $('me-name').title = displayName(me)
  const email = me?.name?.trim() ? me.email : ''
  $('me-email').textContent = email || ''
  $('me-email').title = email || ''
}

// Rooms

function renderRooms () {
  show($('rooms-section'), state.rooms.length > 0)
  const items = [null, ...state.rooms].map((room) => {
    const active = room === state.room
    const count = state.unread.get(roomKey(room)) || 0
    const button = h('button', {
      type: 'button',
      className: active ? 'room active' : 'room',
      'aria-current': active ? 'true' : undefined,
      'data-room': roomKey(room)
    },
    h('span', { className: room === null ? 'room-mark everyone' : 'room-mark', 'aria-hidden': 'true' }, room === null ? '' : '#'),
    h('span', { className: 'room-name' }, room ?? 'Everyone'),
    count > 0 ? h('span', { className: 'badge', 'aria-label': `${count} unread` }, count > 99 ? '99+' : String(count)) : null)
    button.addEventListener('click', () => switchRoom(room))
    return h('li', {}, button)
  })
  $('rooms').replaceChildren(...items)
}

function renderRoomHeader () {
  const room = state.room
  const title = $('room-title')
  title.replaceChildren(room === null ? 'Everyone' : h('span', { className: 'hash', 'aria-hidden': 'true' }, '#'), room ?? '')
  title.title = room ?? 'Everyone'
  $('room-subtitle').textContent = room === null
    ? 'Seen by everyone who is logged in'
    : `Seen by the members of #${room} only`
  $('message-text').placeholder = room === null ? 'Message everyone' : `Message #${room}`
}

function switchRoom (room) {
  closeMenu()
  if (room === state.room) return
  state.room = room
  if (room === null) storage.remove(ROOM_KEY)
  else storage.set(ROOM_KEY, room)
  state.unread.delete(roomKey(room))
  renderRooms()
  renderRoomHeader()
  composerError('')
  loadMessages(state.session)
  $('message-text').focus()
}

// People

async function loadPeople (session) {
  try {
    const page = await users.find({ $sort: { email: 1 }, $limit: 50 })
    if (session !== state.session) return
    for (const user of rows(page)) state.people.set(idOf(user._id), user)
    state.peopleTotal = Math.max(totalOf(page), state.people.size)
    state.peopleState = 'ready'
  } catch (err) {
    if (session !== state.session || failed(err)) return
    state.peopleState = 'error'
  }
  renderPeople()
}

function renderPeople () {
  const me = idOf(state.user?._id)
  const list = [...state.people.values()].sort((a, b) => {
    if (idOf(a._id) === me) return -1
    if (idOf(b._id) === me) return 1
    return displayName(a).localeCompare(displayName(b))
  })
  $('users').replaceChildren(...list.map((user) => {
    const name = displayName(user)
    const email = user.name?.trim() ? user.email : ''
    return h('li', { className: 'person', title: email ? `${name} <${email}>` : name },
      avatar(user),
      h('span', { className: 'person-text' },
        h('span', { className: 'person-name' }, name),
        email ? h('span', { className: 'person-email' }, email) : null),
      idOf(user._id) === me ? h('span', { className: 'you' }, 'you') : null)
  }))
  const total = Math.max(state.peopleTotal, state.people.size)
  $('people-count').textContent = state.peopleState === 'loading' ? '' : String(total)
  let note = ''
  if (state.peopleState === 'loading') note = 'Loading people…'
  else if (state.peopleState === 'error') note = 'People could not be loaded.'
  else if (total > state.people.size) note = `and ${total - state.people.size} more`
  else if (state.people.size <= 1) note = 'No one else yet. Others appear here as they sign up.'
  $('users-state').textContent = note
  show($('users-state'), note !== '')
}

users.on('created', (user) => {
  if (state.screen !== 'chat' || !user) return
  if (!state.people.has(idOf(user._id))) state.peopleTotal++
  state.people.set(idOf(user._id), user)
  renderPeople()
})

const userChanged = (user) => {
  if (state.screen !== 'chat' || !user) return
  const id = idOf(user._id)
  if (state.people.has(id)) state.people.set(id, user)
  if (id === idOf(state.user?._id)) {
    state.user = { ...state.user, ...user }
    renderMe()
  }
  renderPeople()
  renderMessages()
}
users.on('patched', userChanged)
users.on('updated', userChanged)
users.on('removed', (user) => {
  if (state.screen !== 'chat' || !user) return
  if (state.people.delete(idOf(user._id))) state.peopleTotal = Math.max(0, state.peopleTotal - 1)
  renderPeople()
})

// Messages

function queryFor (room, before) {
  const query = { $sort: { createdAt: -1 }, $limit: PAGE, channel: room }
  if (before !== undefined) query.createdAt = { $lt: before }
  return query
}

async function loadMessages (session) {
  const room = state.room
  state.list = []
  state.hasEarlier = false
  state.listState = 'loading'
  renderMessages()
  try {
    const page = await messages.find(queryFor(room))
    if (session !== state.session || room !== state.room) return
    const loaded = rows(page).reverse()
    // Messages that arrived while the page loaded are kept.
    state.list = merge(loaded, state.list)
    state.hasEarlier = totalOf(page) > loaded.length
    state.listState = 'ready'
  } catch (err) {
    if (session !== state.session || room !== state.room || failed(err)) return
    state.listState = 'error'
    state.listError = err.message
  }
  renderMessages()
  scrollToBottom()
}

async function loadEarlier () {
  const session = state.session
  const room = state.room
  const oldest = state.list[0]
  if (!oldest) return
  const button = $('load-earlier')
  button.disabled = true
  button.textContent = 'Loading…'
  try {
    const page = await messages.find(queryFor(room, oldest.createdAt))
    if (session !== state.session || room !== state.room) return
    const scroller = $('messages-scroll')
    const before = scroller.scrollHeight
    const older = rows(page).reverse()
    state.list = merge(older, state.list)
    state.hasEarlier = totalOf(page) > older.length
    renderMessages()
    scroller.scrollTop += scroller.scrollHeight - before
  } catch (err) {
    if (!failed(err)) composerError(`Earlier messages could not be loaded: ${err.message}`)
  } finally {
    button.disabled = false
    button.textContent = 'Show earlier messages'
  }
}
$('load-earlier').addEventListener('click', loadEarlier)

// merge joins two lists of messages, by id, oldest first.
function merge (a, b) {
  const byId = new Map()
  for (const m of [...a, ...b]) byId.set(idOf(m._id), m)
  return [...byId.values()].sort((x, y) => (x.createdAt ?? 0) - (y.createdAt ?? 0))
}

function nearBottom () {
  const s = $('messages-scroll')
  return s.scrollHeight - s.scrollTop - s.clientHeight < 120
}

function scrollToBottom () {
  const s = $('messages-scroll')
  s.scrollTop = s.scrollHeight
}

function addMessage (message) {
  const stick = nearBottom() || idOf(message.userId) === idOf(state.user?._id)
  state.list = merge(state.list, [message])
  if (state.list.length > KEEP) {
    state.list = state.list.slice(-KEEP)
    state.hasEarlier = true
  }
  renderMessages()
  if (stick) scrollToBottom()
}

messages.on('created', (message) => {
  if (state.screen !== 'chat' || !message) return
  const room = roomOf(message)
  const mine = idOf(message.userId) === idOf(state.user?._id)
  if (room === state.room) {
    addMessage(message)
  } else if (!mine && (room === null || state.rooms.includes(room))) {
    state.unread.set(roomKey(room), (state.unread.get(roomKey(room)) || 0) + 1)
    renderRooms()
  }
  if (!mine && document.hidden) {
    state.hiddenUnread++
    document.title = `(${state.hiddenUnread}) ${TITLE}`
  }
})

const messageChanged = (message) => {
  if (state.screen !== 'chat' || !message) return
  const id = idOf(message._id)
  const at = state.list.findIndex((m) => idOf(m._id) === id)
  if (at < 0) return
  if (roomOf(message) === state.room) state.list[at] = message
  else state.list.splice(at, 1)
  renderMessages()
}
messages.on('patched', messageChanged)
messages.on('updated', messageChanged)
messages.on('removed', (message) => {
  if (state.screen !== 'chat' || !message) return
  const before = state.list.length
  state.list = state.list.filter((m) => idOf(m._id) !== idOf(message._id))
  if (state.list.length !== before) renderMessages()
})

document.addEventListener('visibilitychange', () => {
  if (!document.hidden) {
    state.hiddenUnread = 0
    document.title = TITLE
  }
})

function authorOf (message) {
  return message.user ?? state.people.get(idOf(message.userId)) ?? { _id: message.userId }
}

function renderMessages () {
  const list = $('messages')
  const stateEl = $('messages-state')
  show($('load-earlier'), state.listState === 'ready' && state.hasEarlier)
  stateEl.replaceChildren()
  if (state.listState === 'loading' && state.list.length === 0) {
    stateEl.append(h('span', { className: 'spinner', 'aria-hidden': 'true' }), h('span', {}, 'Loading messages…'))
  } else if (state.listState === 'error') {
    const retry = h('button', { type: 'button', className: 'button subtle' }, 'Try again')
    retry.addEventListener('click', () => loadMessages(state.session))
    stateEl.append(h('p', { className: 'state-title' }, 'Messages could not be loaded'), h('p', {}, state.listError), retry)
  } else if (state.list.length === 0) {
    stateEl.append(
      h('p', { className: 'state-title' }, state.room === null ? 'No messages yet' : `No messages in #${state.room} yet`),
      h('p', {}, 'Say hello: what you write appears here for everyone in the room, right away.'))
  }
  show(stateEl, stateEl.childNodes.length > 0)

  const me = idOf(state.user?._id)
  const items = []
  let prev = null
  for (const message of state.list) {
    const at = typeof message.createdAt === 'number' ? message.createdAt : Date.now()
    const newDay = !prev || dayKey(prev.createdAt) !== dayKey(at)
    if (newDay) items.push(h('li', { className: 'day', 'aria-hidden': 'true' }, h('span', {}, dayLabel(at))))
    const author = authorOf(message)
    const continued = !newDay && prev && idOf(prev.userId) === idOf(message.userId) && at - prev.createdAt < GROUP_MS
    const time = h('time', { dateTime: new Date(at).toISOString(), title: fullTimeOf(at) }, timeOf(at))
    const mine = idOf(message.userId) === me
    items.push(h('li', { className: `message${continued ? ' continued' : ''}${mine ? ' mine' : ''}`, 'data-id': idOf(message._id) },
      continued ? h('span', { className: 'gutter' }, time) : avatar(author),
      h('div', { className: 'message-body' },
        continued
          ? null
          : h('p', { className: 'message-meta' }, h('span', { className: 'author', title: author.email || '' }, displayName(author)), mine ? h('span', { className: 'you' }, 'you') : null, time),
        h('p', { className: 'message-text' }, typeof message.text === 'string' ? message.text : ''))))
    prev = { ...message, createdAt: at }
  }
  list.replaceChildren(...items)
}

// The composer

const textarea = $('message-text')

function composerError (text) {
  const el = $('composer-error')
  el.textContent = text
  show(el, text !== '')
}

function grow () {
  textarea.style.height = 'auto'
  textarea.style.height = `${Math.min(textarea.scrollHeight, 200)}px`
}

textarea.addEventListener('input', grow)
textarea.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault()
    $('composer').requestSubmit()
  }
})

$('composer').addEventListener('submit', async (e) => {
  e.preventDefault()
  const text = textarea.value.trim()
  if (!text || !socket.connected) return
  const room = state.room
  const session = state.session
  textarea.value = ''
  grow()
  composerError('')
  try {
    const message = await messages.create(room === null ? { text } : { text, channel: room })
    if (session === state.session && room === state.room) addMessage(message)
  } catch (err) {
    if (session !== state.session || failed(err)) return
    if (textarea.value === '') {
      textarea.value = text
      grow()
    }
    composerError(`Not sent: ${err.message}`)
  }
})

// The menu (rooms and people) on narrow screens

function openMenu () {
  $('chat').classList.add('menu-open')
  show($('scrim'), true)
  $('open-menu').setAttribute('aria-expanded', 'true')
  $('close-menu').focus()
}

function closeMenu () {
  if (!$('chat').classList.contains('menu-open')) return
  $('chat').classList.remove('menu-open')
  show($('scrim'), false)
  $('open-menu').setAttribute('aria-expanded', 'false')
}

$('open-menu').addEventListener('click', openMenu)
$('close-menu').addEventListener('click', closeMenu)
$('scrim').addEventListener('click', closeMenu)
document.addEventListener('keydown', (e) => { if (e.key === 'Escape') closeMenu() })

showScreen('splash')
