## Telegram transport: the guided flow, documents, the "/" menu.

telegram-cmd-cancel = cancel the current question
telegram-cancelled = Cancelled. Commands: /help
telegram-nothing-to-cancel = There is nothing to cancel.
telegram-awaiting = Send it in your next message, or /cancel to stop.
telegram-edited-not-run = An edited message is not run again. Send the corrected command as a new message: /{ $command }
telegram-private-only = The answer to /{ $command } holds a secret that everyone in a group would see. Send /{ $command } to me in a private chat.
telegram-text-hint = I understand commands. The ones available to you: /help
telegram-document-no-command = What should I do with this file? Send it again with the command as its caption (for example, /command), or send the command first.
telegram-file-too-large = The file "{ $name }" is too large: { $size_kb } KB, while the limit is { $limit_kb } KB.
telegram-file-over-download-limit = The file "{ $name }" is { $size_mb } MB, and Telegram lets a bot download files of at most { $limit_mb } MB. Pack it into a .zip or .gz (a CSV becomes five to ten times smaller) or split it, and send it again.
telegram-download-failed = I could not download the file "{ $name }" from Telegram. Please send it again.
telegram-answer-in-chat = The full answer is in a message from the bot.
telegram-answer-again = Send the corrected answer in your next message, or /cancel to stop.
telegram-awaiting-group = Reply to this message with it, or /cancel to stop.
telegram-answer-again-group = Reply to this message with the corrected answer, or /cancel to stop.
telegram-media-not-an-answer = That does not answer the question: send the answer as text (or as a file, if a file is asked for), or /cancel to stop.
telegram-anonymous-sender = This command was sent anonymously on behalf of the chat, so I cannot tell who sent it. Turn off "Remain anonymous" in your admin rights, or send the command to me in a private chat.
