## Транспорт Telegram: пошаговые команды, документы, меню «/».

telegram-cmd-cancel = отменить текущий вопрос
telegram-cancelled = Отменено. Команды: /help
telegram-nothing-to-cancel = Отменять нечего.
telegram-awaiting = Пришлите это следующим сообщением или отмените: /cancel
telegram-edited-not-run = Изменённое сообщение повторно не выполняется. Отправьте исправленную команду новым сообщением: /{ $command }
telegram-private-only = Ответ на /{ $command } содержит секрет, его увидели бы все в группе. Отправьте /{ $command } мне в личный чат.
telegram-text-hint = Я понимаю команды. Доступные вам: /help
telegram-document-no-command = Что сделать с этим файлом? Пришлите его ещё раз с командой в подписи (например, /команда) или сначала отправьте команду.
telegram-file-too-large = Файл «{ $name }» слишком большой: { $size_kb } КБ при пределе { $limit_kb } КБ.
telegram-file-over-download-limit = Файл «{ $name }» весит { $size_mb } МБ, а Telegram даёт боту скачивать файлы не больше { $limit_mb } МБ. Упакуйте его в .zip или .gz (CSV сжимается в 5–10 раз) или разделите на части и пришлите снова.
telegram-download-failed = Не удалось скачать файл «{ $name }» из Telegram. Пришлите его ещё раз.
telegram-answer-in-chat = Полный ответ — в сообщении от бота.
telegram-answer-again = Пришлите исправленный ответ следующим сообщением или отмените: /cancel
telegram-awaiting-group = Ответьте на это сообщение (Ответить) или отмените: /cancel
telegram-answer-again-group = Ответьте на это сообщение исправленным ответом или отмените: /cancel
telegram-media-not-an-answer = Это не ответ на вопрос: пришлите ответ текстом (или файлом, если нужен файл) или отмените: /cancel
telegram-anonymous-sender = Команда отправлена анонимно от имени чата, и я не знаю, кто её прислал. Отключите «Анонимность» в своих правах администратора или пришлите команду мне в личный чат.
