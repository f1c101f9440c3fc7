'use strict';
/**
 * Mailfleet's Telegram Bot API emulator: telegram-test-api 4.2.1 plus what the product's tests need.
 *
 *   node emulator.js [--port N] [--host 127.0.0.1] [--bot-username NAME] [--store-timeout SECONDS]
 *
 * Port 0 (the default; env TELEGRAM_EMULATOR_PORT) picks a free port. Once listening it prints
 * `READY http://HOST:PORT` on stdout, then one line per request. node_modules is never edited: the extra
 * routes are put in front of the package's own (via its exported route list) and a few methods are patched.
 *
 * Bot side (/bot<token>/<method>), added or replaced: getMe (with is_bot), getUpdates (offset confirms,
 * `timeout` long-polls, 409 on a second poller or an active webhook), sendMessage, sendDocument (multipart),
 * getFile + GET /file/bot<token>/<file_path>, editMessageText, editMessageReplyMarkup, answerCallbackQuery,
 * setMyCommands, getMyCommands, deleteMyCommands, sendChatAction, deleteWebhook (drop_pending_updates);
 * any other method -> 404. Every error body is {ok: false, error_code, description}.
 * Groups are in privacy mode: a group message that is not a command, names no bot and replies to none of its
 * messages never reaches the bot (as with Telegram's default for bots).
 * User side: POST /sendMessage, /sendCommand, /sendCallback, /uploadDocument (multipart), /getUpdates
 * (with `timeout`), /getCallbackAnswer, /getDownloads, /reset; GET /files/<file_id>.
 * Faults on demand: /sendCallback with `tooOld: true` makes a press whose answerCallbackQuery Telegram refuses
 * (400 "query is too old ..."), as for a press answered after Telegram's ~15 s; /uploadDocument with
 * `declaredSize` in its message states a file_size other than the real one (a lying size); /migrateChat upgrades a
 * group to a supergroup: both service messages (`migrate_to_chat_id`, `migrate_from_chat_id`) are sent, and the
 * bot's messages to the old id get Telegram's 400 with `parameters.migrate_to_chat_id`.
 */
const crypto = require('crypto');
const express = require('express');
const mimeTypes = require('mime-types');
const TelegramServer = require('telegram-test-api');
const { routes } = require('telegram-test-api/lib/routes/index');
const { unknownMethod } = require('telegram-test-api/lib/routes/bot/unknownMethod');

const MAX_POLL_SECONDS = 50;
const MAX_UPLOAD = '60mb';
const CALLBACK_DATA_BYTES = 64;
const TEXT_LIMIT = 4096;
const CAPTION_LIMIT = 1024;
const CALLBACK_ANSWER_LIMIT = 200; // a pop-up's text, in UTF-16 units (a JavaScript string's length)
const INLINE_BUTTON_ACTIONS = ['url', 'callback_data', 'web_app', 'login_url', 'switch_inline_query',
  'switch_inline_query_current_chat', 'switch_inline_query_chosen_chat', 'copy_text', 'callback_game', 'pay'];
const CHAT_ACTIONS = new Set(['typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice',
  'upload_voice', 'upload_document', 'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note']);

function option(name, envName, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i !== -1 && i + 1 < process.argv.length) return process.argv[i + 1];
  return process.env[envName] ?? fallback;
}

const opts = {
  host: option('host', 'TELEGRAM_EMULATOR_HOST', '127.0.0.1'),
  port: Number(option('port', 'TELEGRAM_EMULATOR_PORT', '0')),
  botUsername: option('bot-username', 'TELEGRAM_EMULATOR_BOT_USERNAME', 'mailfleet_test_bot'),
  storeTimeout: Number(option('store-timeout', 'TELEGRAM_EMULATOR_STORE_TIMEOUT', '600')),
};

class ApiError extends Error {
  constructor(code, description, parameters) {
    super(description);
    this.code = code;
    this.parameters = parameters;
  }
}
const badRequest = (what) => new ApiError(400, `Bad Request: ${what}`);

function sendApiError(res, err) {
  const code = err instanceof ApiError ? err.code : (err.http || err.status || 500);
  res.status(code).json(compact({
    ok: false, error_code: code, description: err.message || 'Internal Server Error',
    parameters: err instanceof ApiError ? err.parameters : undefined,
  }));
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const isTrue = (v) => v === true || v === 'true' || v === 'True' || v === '1';
const compact = (obj) => Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));

function jsonParam(p, name) {
  const value = p[name];
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw badRequest(`can't parse ${name} JSON object`);
  }
}

/** Parses a multipart/form-data body into string fields and file parts. */
function parseMultipart(buf, contentType) {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType || '');
  if (!m) throw badRequest('multipart boundary is missing');
  const delimiter = Buffer.from(`--${m[1] || m[2]}`);
  const fields = {};
  const files = {};
  let pos = buf.indexOf(delimiter);
  while (pos !== -1) {
    const start = pos + delimiter.length;
    if (buf.subarray(start, start + 2).toString() === '--') break;
    const next = buf.indexOf(delimiter, start);
    if (next === -1) break;
    const part = buf.subarray(start + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString('utf8');
    const body = part.subarray(split + 4);
    const disposition = (/content-disposition:([^\r\n]*)/i.exec(head) || ['', ''])[1];
    const param = (key) => {
      const extended = new RegExp(`${key}\\*=utf-8''([^;]+)`, 'i').exec(disposition);
      if (extended) return decodeURIComponent(extended[1]);
      const plain = new RegExp(`(?:^|;)\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;]*))`).exec(disposition);
      if (!plain) return undefined;
      return plain[1] !== undefined ? plain[1].replace(/\\(.)/g, '$1') : plain[2].trim();
    };
    const name = param('name');
    const filename = param('filename');
    if (filename !== undefined) {
      const type = /content-type:\s*([^\r\n;]*)/i.exec(head);
      files[name] = { filename, contentType: type ? type[1].trim() : undefined, data: Buffer.from(body) };
    } else {
      fields[name] = body.toString('utf8');
    }
    pos = next;
  }
  return { fields, files };
}

const state = {
  files: new Map(), // file_id -> File fields + {data, botToken}
  fileSeq: 0,
  chats: new Map(), // chat id -> Chat object the user side sent
  openCallbacks: new Map(), // callback_query_id -> bot token
  downloads: [], // {botToken, file_id} for every file the bot side fetched
  callbackAnswers: new Map(), // callback_query_id -> answer parameters
  commands: new Map(), // token|scope|language -> BotCommand[]
  polls: new Map(), // token -> {terminated}
  migrated: new Map(), // token|old chat id -> new chat id (a group upgraded to a supergroup)
};

let server; // the TelegramServer, assigned below before any request arrives

const changed = () => server.emit('changed');

function waitForChange(res, ms) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      server.off('changed', done);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    server.on('changed', done);
    res.on('close', done);
  });
}

/** Waits until ready() is true, `timeout` seconds pass or the client goes away; returns false in the last case. */
async function longPoll(res, timeout, ready) {
  let open = true;
  res.once('close', () => { open = false; });
  const deadline = Date.now() + Math.min(Math.max(Number(timeout) || 0, 0), MAX_POLL_SECONDS) * 1000;
  while (open && !ready() && Date.now() < deadline) {
    await waitForChange(res, deadline - Date.now());
  }
  return open;
}

function botUser(token) {
  const id = Number(String(token).split(':')[0]);
  return {
    id: Number.isSafeInteger(id) ? id : 666,
    is_bot: true,
    first_name: 'Mailfleet Test Bot',
    username: opts.botUsername,
  };
}

function chatFor(chatId) {
  if (chatId === undefined || chatId === '') throw badRequest('chat_id is empty');
  const id = Number(chatId);
  if (!Number.isSafeInteger(id)) throw badRequest('chat not found');
  return state.chats.get(id) || { id, type: id > 0 ? 'private' : 'supergroup' };
}

function checkMarkup(markup) {
  if (markup === undefined || markup === null) return;
  if (typeof markup !== 'object') throw badRequest("can't parse reply keyboard markup JSON object");
  for (const row of markup.inline_keyboard || []) {
    for (const button of row) {
      if (!INLINE_BUTTON_ACTIONS.some((key) => key in button)) {
        throw badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
      }
      const data = button.callback_data === undefined ? undefined : String(button.callback_data);
      if (data !== undefined && (data.length === 0 || Buffer.byteLength(data) > CALLBACK_DATA_BYTES)) {
        throw badRequest('BUTTON_DATA_INVALID');
      }
    }
  }
}

/** The message as the bot gets it back: Bot API returns only inline keyboards. */
function botView(message) {
  const view = { ...message };
  if (!view.reply_markup || !view.reply_markup.inline_keyboard) delete view.reply_markup;
  return view;
}

function findMessage(list, token, chatId, messageId) {
  return list.find((r) => r.botToken === token && r.message && r.message.chat
    && String(r.message.chat.id) === String(chatId) && String(r.messageId) === String(messageId));
}

function replyTo(token, p) {
  const params = jsonParam(p, 'reply_parameters') || {};
  const messageId = params.message_id ?? p.reply_to_message_id;
  if (messageId === undefined) return undefined;
  const chatId = params.chat_id ?? p.chat_id;
  const own = findMessage(server.storage.botMessages, token, chatId, messageId);
  if (own) return botView(own.message);
  const users = findMessage(server.storage.userMessages, token, chatId, messageId);
  if (users) return TelegramServer.formatUpdate(users).message;
  if (isTrue(params.allow_sending_without_reply ?? p.allow_sending_without_reply)) return undefined;
  throw badRequest('message to be replied not found');
}

/** A group upgraded to a supergroup takes no more messages under its old id: Telegram's 400 names the new one. */
function checkMigrated(token, chatId) {
  const to = state.migrated.get(`${token}|${Number(chatId)}`);
  if (to !== undefined) {
    throw new ApiError(400, 'Bad Request: group chat was upgraded to a supergroup chat', { migrate_to_chat_id: to });
  }
}

function storeBotMessage(token, method, p, content) {
  checkMigrated(token, p.chat_id);
  const message = compact({
    message_id: server.messageId,
    from: botUser(token),
    chat: chatFor(p.chat_id),
    date: nowSeconds(),
    reply_to_message: replyTo(token, p),
    ...content,
  });
  server.storage.botMessages.push({
    time: Date.now(),
    botToken: token,
    updateId: server.updateId,
    messageId: server.messageId,
    isRead: false,
    edited: false,
    method,
    request: p,
    message,
  });
  server.messageId++;
  server.updateId++;
  changed();
  return botView(message);
}

function editBotMessage(token, method, p, changes) {
  if (p.inline_message_id !== undefined) throw badRequest('inline messages are not supported by the emulator');
  const record = findMessage(server.storage.botMessages, token, p.chat_id, p.message_id);
  if (!record) throw badRequest('message to edit not found');
  const same = Object.keys(changes).every((key) => key === 'entities'
    || JSON.stringify(record.message[key] ?? null) === JSON.stringify(changes[key] ?? null));
  if (same) {
    throw badRequest('message is not modified: specified new message content and reply markup are exactly the same'
      + ' as a current content and reply markup of the message');
  }
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete record.message[key];
    else record.message[key] = value;
  }
  record.message.edit_date = nowSeconds();
  Object.assign(record, { edited: true, isRead: false, method, request: p });
  changed();
  return botView(record.message);
}

function storeFile(token, data, fileName, contentType) {
  const n = ++state.fileSeq;
  const ext = (/\.[A-Za-z0-9]{1,8}$/.exec(fileName || '') || [''])[0];
  const mimeType = contentType && contentType !== 'application/octet-stream'
    ? contentType : (mimeTypes.lookup(fileName || '') || 'application/octet-stream');
  const file = {
    file_id: `BQACAgIAAxk-${n}-${crypto.randomBytes(6).toString('hex')}`,
    file_unique_id: `AgAD${n}`,
    file_name: fileName,
    mime_type: mimeType,
    file_size: data.length,
    file_path: `documents/file_${n}${ext}`,
    data,
    botToken: token,
  };
  state.files.set(file.file_id, file);
  return file;
}

const documentOf = (f) => compact({
  file_id: f.file_id,
  file_unique_id: f.file_unique_id,
  file_name: f.file_name,
  mime_type: f.mime_type,
  file_size: f.file_size,
});

/** Resolves an InputFile parameter: an `attach://` part, a part named like the field, or a known file_id. */
function inputFile(req, token, p, field) {
  const value = p[field];
  let part;
  if (typeof value === 'string' && value.startsWith('attach://')) {
    part = req.files[value.slice('attach://'.length)];
  } else if (value === undefined) part = req.files[field];
  if (part) return storeFile(token, part.data, part.filename, part.contentType);
  const known = typeof value === 'string' && state.files.get(value);
  if (known && known.botToken === token) return known;
  throw badRequest('wrong file identifier/HTTP URL specified');
}

function captionOf(p) {
  if (p.caption !== undefined && String(p.caption).length > CAPTION_LIMIT) {
    throw badRequest('message caption is too long');
  }
  return { caption: p.caption, caption_entities: jsonParam(p, 'caption_entities') };
}

function markupOf(p) {
  const markup = jsonParam(p, 'reply_markup');
  checkMarkup(markup);
  return markup;
}

function textOf(p) {
  const text = p.text === undefined ? '' : String(p.text);
  if (text.trim() === '') throw badRequest('message text is empty');
  if (text.length > TEXT_LIMIT) throw badRequest('message is too long');
  return text;
}

function route(app, verb, path, handler) {
  app[verb](path, (req, res) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .then((result) => {
        if (result !== undefined && !res.headersSent) res.json({ ok: true, result });
      })
      .catch((err) => {
        if (!res.headersSent) sendApiError(res, err);
      });
  });
}

function botMethod(app, name, handler) {
  route(app, 'all', `/bot:token/${name}`,
    (req, res) => handler(req.params.token, { ...req.query, ...req.body }, req, res));
}

function pendingUpdates(token) {
  return server.storage.userMessages.filter((u) => u.botToken === token && !u.isRead);
}

function requireUser(b) {
  if (!b || typeof b.botToken !== 'string' || !b.from || b.from.id === undefined) {
    throw badRequest('a user update needs botToken and from');
  }
}

const SERVICE_FIELDS = ['migrate_to_chat_id', 'migrate_from_chat_id', 'new_chat_members', 'left_chat_member',
  'group_chat_created', 'supergroup_chat_created', 'pinned_message'];

/** Privacy mode (the default, and getMe's can_read_all_group_messages: false): in a group the bot gets only
 * commands (also as a caption), messages naming it, replies to its own messages and service messages. */
function reachesBot(b) {
  if (!['group', 'supergroup'].includes(b.chat.type)) return true;
  const text = String(b.text ?? b.caption ?? '');
  const reply = b.reply_to_message;
  return text.startsWith('/') || text.includes(`@${opts.botUsername}`)
    || Boolean(reply && reply.from && reply.from.is_bot && reply.from.username === opts.botUsername)
    || SERVICE_FIELDS.some((key) => key in b);
}

async function addUserMessage(b) {
  requireUser(b);
  if (!b.chat || b.chat.id === undefined) throw badRequest('a user message needs chat');
  state.chats.set(Number(b.chat.id), b.chat);
  if (!reachesBot(b)) {
    const ids = { update_id: null, message_id: server.messageId };
    server.messageId++; // the group sees it; the bot in privacy mode never does
    return ids;
  }
  const ids = { update_id: server.updateId, message_id: server.messageId };
  await server.addUserMessage({ date: nowSeconds(), ...b });
  return ids;
}

function registerBotRoutes(app) {
  botMethod(app, 'getMe', (token) => ({
    ...botUser(token), can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false,
  }));

  botMethod(app, 'getUpdates', async (token, p, req, res) => {
    if (server.webhooks[token]) {
      throw new ApiError(409, "Conflict: can't use getUpdates method while webhook is active;"
        + ' use deleteWebhook to delete the webhook first');
    }
    if (p.offset !== undefined) {
      const offset = Number(p.offset);
      for (const u of pendingUpdates(token)) if (u.updateId < offset) u.isRead = true;
    }
    const previous = state.polls.get(token);
    if (previous) previous.terminated = true;
    const poll = { terminated: false };
    state.polls.set(token, poll);
    changed();
    const open = await longPoll(res, p.timeout, () => poll.terminated || pendingUpdates(token).length > 0);
    if (state.polls.get(token) === poll) state.polls.delete(token);
    if (poll.terminated) {
      throw new ApiError(409, 'Conflict: terminated by other getUpdates request;'
        + ' make sure that only one bot instance is running');
    }
    if (!open) return undefined;
    const limit = Math.min(Math.max(Number(p.limit) || 100, 1), 100);
    return pendingUpdates(token).slice(0, limit).map((u) => TelegramServer.formatUpdate(u));
  });

  botMethod(app, 'sendMessage', (token, p) => storeBotMessage(token, 'sendMessage', p, {
    text: textOf(p), entities: jsonParam(p, 'entities'), reply_markup: markupOf(p),
  }));

  botMethod(app, 'sendDocument', (token, p, req) => {
    const content = { ...captionOf(p), reply_markup: markupOf(p) };
    chatFor(p.chat_id);
    const file = inputFile(req, token, p, 'document');
    return storeBotMessage(token, 'sendDocument', p, { document: documentOf(file), ...content });
  });

  botMethod(app, 'getFile', (token, p) => {
    const file = state.files.get(String(p.file_id));
    if (!file || file.botToken !== token) throw badRequest('invalid file_id');
    const { file_id, file_unique_id, file_size, file_path } = file;
    return { file_id, file_unique_id, file_size, file_path };
  });

  botMethod(app, 'editMessageText', (token, p) => {
    const record = findMessage(server.storage.botMessages, token, p.chat_id, p.message_id);
    if (record && record.message.text === undefined) throw badRequest('there is no text in the message to edit');
    return editBotMessage(token, 'editMessageText', p, {
      text: textOf(p), entities: jsonParam(p, 'entities'), reply_markup: markupOf(p),
    });
  });

  botMethod(app, 'editMessageReplyMarkup', (token, p) => editBotMessage(token, 'editMessageReplyMarkup', p, {
    reply_markup: markupOf(p),
  }));

  botMethod(app, 'answerCallbackQuery', (token, p) => {
    const id = String(p.callback_query_id);
    if (state.openCallbacks.get(id) !== token) {
      throw badRequest('query is too old and response timeout expired or query ID is invalid');
    }
    if (p.text !== undefined && String(p.text).length > CALLBACK_ANSWER_LIMIT) {
      throw badRequest('MESSAGE_TOO_LONG'); // Telegram refuses a longer answer, it does not cut it
    }
    state.openCallbacks.delete(id);
    state.callbackAnswers.set(id, compact({
      callback_query_id: id, text: p.text, show_alert: isTrue(p.show_alert), url: p.url,
      cache_time: p.cache_time === undefined ? undefined : Number(p.cache_time),
    }));
    changed();
    return true;
  });

  const commandsKey = (token, p) => [token, JSON.stringify(jsonParam(p, 'scope') || { type: 'default' }),
    p.language_code || ''].join('|');
  botMethod(app, 'setMyCommands', (token, p) => {
    const commands = jsonParam(p, 'commands');
    if (!Array.isArray(commands)) throw badRequest("can't parse commands JSON object");
    for (const c of commands) {
      if (!/^[a-z0-9_]{1,32}$/.test(String(c.command))) throw badRequest('BOT_COMMAND_INVALID');
    }
    state.commands.set(commandsKey(token, p), commands);
    return true;
  });
  botMethod(app, 'getMyCommands', (token, p) => state.commands.get(commandsKey(token, p)) || []);
  botMethod(app, 'deleteMyCommands', (token, p) => {
    state.commands.delete(commandsKey(token, p));
    return true;
  });

  botMethod(app, 'sendChatAction', (_token, p) => {
    chatFor(p.chat_id);
    if (!CHAT_ACTIONS.has(p.action)) throw badRequest('wrong parameter action in request');
    return true;
  });

  botMethod(app, 'deleteWebhook', (token, p) => {
    server.deleteWebhook(token);
    if (isTrue(p.drop_pending_updates)) for (const u of pendingUpdates(token)) u.isRead = true;
    return true;
  });

  route(app, 'get', '/file/bot:token/*', (req, res) => {
    const file = [...state.files.values()]
      .find((f) => f.botToken === req.params.token && f.file_path === req.params[0]);
    if (!file) throw new ApiError(404, 'Not Found');
    state.downloads.push({ botToken: req.params.token, file_id: file.file_id });
    res.type(file.mime_type).send(file.data);
  });
}

function registerUserRoutes(app) {
  route(app, 'post', '/sendMessage', (req) => addUserMessage(req.body));

  route(app, 'post', '/sendCommand', (req) => {
    if (!Array.isArray(req.body.entities)) throw badRequest('a command needs entities');
    return addUserMessage(req.body);
  });

  route(app, 'post', '/migrateChat', async (req) => {
    const b = req.body;
    requireUser(b);
    const from = Number(b.chat.id);
    const to = Number(b.toChatId);
    const supergroup = { id: to, type: 'supergroup', title: b.chat.title };
    state.migrated.set(`${b.botToken}|${from}`, to);
    await addUserMessage({ botToken: b.botToken, from: b.from, chat: b.chat, migrate_to_chat_id: to });
    await addUserMessage({ botToken: b.botToken, from: b.from, chat: supergroup, migrate_from_chat_id: from });
    return true;
  });

  route(app, 'post', '/uploadDocument', async (req) => {
    const meta = jsonParam(req.body, 'message');
    const part = req.files.document;
    if (!part) throw badRequest('the request needs a `document` file part');
    requireUser(meta);
    const file = storeFile(meta.botToken, part.data, part.filename, part.contentType);
    const { declaredSize, ...message } = meta;
    if (declaredSize !== undefined) file.file_size = Number(declaredSize);
    const ids = await addUserMessage({ ...message, document: documentOf(file) });
    return { ...ids, file_id: file.file_id };
  });

  route(app, 'post', '/sendCallback', async (req) => {
    const b = req.body;
    requireUser(b);
    let { message } = b;
    if (message === undefined && b.messageId !== undefined) {
      const record = findMessage(server.storage.botMessages, b.botToken, b.chatId, b.messageId);
      if (!record) throw badRequest(`message ${b.messageId} not found in chat ${b.chatId}`);
      const buttons = ((record.message.reply_markup || {}).inline_keyboard || []).flat();
      if (!buttons.some((button) => button.callback_data === b.data)) {
        throw badRequest(`message ${b.messageId} has no inline button with callback_data`
          + ` ${JSON.stringify(b.data)}`);
      }
      message = botView(record.message);
    }
    const ids = { callback_query_id: String(server.callbackId), update_id: server.updateId };
    if (!isTrue(b.tooOld)) state.openCallbacks.set(ids.callback_query_id, b.botToken);
    await server.addUserCallback(compact({
      botToken: b.botToken, from: b.from, message, data: b.data, chat_instance: b.chat_instance,
    }));
    return ids;
  });

  route(app, 'post', '/getUpdates', async (req, res) => {
    const { token, chatId, timeout } = req.body;
    const unread = () => server.storage.botMessages.filter((r) => r.botToken === token && !r.isRead
      && String(r.message.chat.id) === String(chatId));
    if (!(await longPoll(res, timeout, () => unread().length > 0))) return undefined;
    const records = unread();
    for (const r of records) r.isRead = true;
    return records;
  });

  route(app, 'post', '/getCallbackAnswer', async (req, res) => {
    const id = String(req.body.callbackQueryId);
    if (!(await longPoll(res, req.body.timeout, () => state.callbackAnswers.has(id)))) return undefined;
    return state.callbackAnswers.get(id) || null;
  });

  route(app, 'post', '/getDownloads', (req) => state.downloads
    .filter((d) => d.botToken === req.body.token).map((d) => d.file_id));

  route(app, 'get', '/files/:fileId', (req, res) => {
    const file = state.files.get(req.params.fileId);
    if (!file) throw new ApiError(404, 'Not Found');
    res.type(file.mime_type).send(file.data);
  });

  route(app, 'post', '/reset', () => {
    server.storage.userMessages = [];
    server.storage.botMessages = [];
    server.webhooks = {};
    for (const map of [state.files, state.chats, state.openCallbacks, state.callbackAnswers, state.commands]) {
      map.clear();
    }
    state.downloads = [];
    changed();
    return true;
  });
}

/** Runs first among the package's routes: error format, multipart bodies, request log, then our routes. */
function extend(app) {
  app.use((req, res, next) => {
    const started = Date.now();
    res.sendError = (error) => sendApiError(res, error);
    res.on('finish', () => console.log(`${req.method} ${req.path} ${res.statusCode} ${Date.now() - started}ms`));
    next();
  });
  app.use(express.raw({ type: 'multipart/form-data', limit: MAX_UPLOAD }));
  app.use((req, _res, next) => {
    req.files = {};
    if (Buffer.isBuffer(req.body)) {
      try {
        const { fields, files } = parseMultipart(req.body, req.headers['content-type']);
        req.body = fields;
        req.files = files;
      } catch (err) {
        next(err);
        return;
      }
    }
    next();
  });
  registerUserRoutes(app);
  registerBotRoutes(app);
}

function notImplemented(app) {
  route(app, 'all', '/bot:token/:method', (req) => {
    throw new ApiError(404, `Not Found: method ${req.params.method} is not implemented by the Mailfleet Telegram`
      + ' emulator (tests/harness/node/emulator.js)');
  });
}

async function main() {
  const stockUnknown = routes.indexOf(unknownMethod);
  if (stockUnknown === -1) throw new Error('telegram-test-api changed: its unknownMethod route is gone');
  routes[stockUnknown] = notImplemented;
  routes.unshift(extend);
  server = new TelegramServer({ host: opts.host, storeTimeout: opts.storeTimeout });
  server.config.port = opts.port; // the package turns port 0 into 9000
  server.setMaxListeners(0);

  const stockFormat = TelegramServer.formatUpdate;
  TelegramServer.formatUpdate = (update) => {
    const formatted = stockFormat(update);
    if (formatted.callback_query) {
      const query = update.callbackQuery;
      const chat = query.message && query.message.chat;
      formatted.callback_query.chat_instance = query.chat_instance || String(chat ? chat.id : query.from.id);
    } else {
      delete formatted.message.botToken;
    }
    return formatted;
  };
  const stockAddUserUpdate = server.addUserUpdate.bind(server);
  server.addUserUpdate = async (update) => {
    await stockAddUserUpdate(update);
    changed();
  };

  await server.start();
  const { port } = server.server.address();
  server.config.apiURL = `http://${opts.host}:${port}`;
  console.log(`READY ${server.config.apiURL}`);
}

process.on('unhandledRejection', (err) => console.error('unhandled rejection:', err));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) process.exit(0); // the test runner died without stopping us
}, 1000).unref();

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
