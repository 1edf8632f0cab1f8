"""The Telegram bot: reminders answered with «Выполнено» and a photo of the document.

A teacher links their chat once, through a one-time deep link `https://t.me/<bot>?start=<code>`
(`cyclogram telegram link ROADMAP PERSON`, or the button on the person's web page); from then on
their reminders come to that chat with buttons, and the bot answers commands. One module per job:

| module | job |
|---|---|
| `chats` | one-time codes (hashed, single use, expiring), linked chats, who a chat is |
| `cards` | the messages that carry buttons: what they are about, signed callback data, the edited view |
| `updates` | exactly once: processed updates in the database, the polling offset |
| `answering` | the buttons and the files: «✅ Выполнено», «📎 Приложить документ», a reply with a document |
| `asking` | the commands: /мои, /сегодня, /просрочено, /помощь |
| `texts` | every Russian text the bot says |
| `client` | aiogram's `Bot` on the configured Bot API server, the token, errors without the token |
| `delivery` | sending a queued reminder through the Bot API (the outbox's telegram channel), editing cards |
| `handlers` | the aiogram router: thin handlers calling the modules above |
| `intake` | one update, once: the same for long polling and the webhook |
| `polling` | `cyclogram bot`: long polling with getUpdates |
| `webhook` | the webhook's secret path and header, setWebhook / deleteWebhook |
| `context` | what the handlers share: the tracker, secrets, the signing key, the web app's address |

Decisions:

* **aiogram 3** (a maintained, typed Bot API client on aiohttp) rather than raw HTTP: its types
  validate what Telegram sends, its router and filters keep handlers small, and its
  `TelegramAPIServer` points the whole client at another server — `CYCLOGRAM_TELEGRAM_API_URL`
  (`cyclogram.settings`), which the tests use for a fake Bot API on loopback. The FSM and aiogram's
  own polling loop are not used: the bot keeps no state in memory, everything is in the database.
* **One process receives updates**: `cyclogram bot` (long polling) or the web app's route
  `POST /telegram/webhook/<secret path>` after `cyclogram telegram webhook set` — Telegram refuses
  getUpdates while a webhook is set: `cyclogram bot` refuses to start then, and stops when one is
  set. The webhook's path and its `X-Telegram-Bot-Api-Secret-Token` are derived from the web app's
  signing key.
* **Exactly once** (`updates`, `intake`): an update's id is written in the same transaction as the
  completion it causes (`recording.done(guard=…)`), so an update processed twice — the bot killed
  after recording but before acknowledging it, two bot processes by mistake, a webhook retried —
  records one completion. Updates that change nothing are marked after they are answered (at worst
  an answer is repeated). The polling offset is the newest processed update + 1, kept in the same
  table. Every callback query is answered, so a button never keeps spinning.
* **Unforgeable buttons** (`cards`): callback data is `<action>:<card id>:<item>:<MAC>` (≤ 64 bytes),
  the MAC an HMAC of the rest with the web app's signing key. A card belongs to one chat and one
  person: a button pressed in another chat, by a chat no longer linked (/stop) or by someone not
  responsible for the stage is refused with a Russian answer and nothing is recorded. Only private
  chats get action buttons (in a group anyone could press them; a linking code sent in a group is
  burned; a file there that is not a reply to the bot is ignored); groups and channels named in the
  roadmap get the «Открыть» link only.
* **Same rules as everywhere** (`answering`): completions go through `recording.done` with
  `channel="telegram"` and the actor `telegram:<chat id>`; blocked stages, stages already done and
  stages that need evidence are explained in Russian before anything is recorded. Evidence is a
  document or a photo sent as a reply to the reminder (or to the bot's request for it): at most
  20 MB (the Bot API's own download limit), the same types as the web form (`web.uploads`), stored
  by sha256 with its original name like the command line's `--evidence`.
* **The token is a secret** (`telegram_bot_token`): never logged, never in an error text, an outbox
  row or an audit event (`client.explain` redacts every error).
"""
