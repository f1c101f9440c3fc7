## Почтовые ящики в чате.

mailboxes-none = Ящиков пока нет. Импортируйте их: /mailbox_import и CSV-файл (адрес, пароль или токен, провайдер).
mailboxes-none-filtered = Ни один ящик не подходит под фильтр. Все ящики: /mailboxes
mailboxes-title = Ящики: { $total } (страница { $page } из { $pages })
mailboxes-line-cap = { $cap } в день
error-mailboxes-filter = Не понял фильтр «{ $word }». Пример: { $usage }
mailbox-status-new = новый
mailbox-status-warming = прогрев
mailbox-status-active = активен
mailbox-status-cooldown = охлаждение
mailbox-status-paused = на паузе
mailbox-status-disabled = отключён
mailbox-status-retired = выведен
mailbox-facts = Статус: { $status } · провайдер: { $provider } · лимит: { $cap } в день (у провайдера: { $limit })
    SMTP: { $smtp } · IMAP: { $imap }
    Прогрев с { $warmup }, недель: { $weeks } · охлаждение до: { $cooldown }
mailbox-today = Сегодня: отправлено { $sent }, ответов { $replies }, отказов { $bounces } (из них отказали нам: { $blocked }), прогревочных в спаме { $spam }
mailbox-inbox-read = Входящие прочитаны { $when }; папка спама: «{ $folder }» (прогрев и ответы лидов из неё переносятся во «Входящие»)
mailbox-inbox-read-no-spam = Входящие прочитаны { $when }; папку спама не нашли (ни по флагу \Junk, ни по известному имени): прогрев, попавший в спам, не виден, и письма на этот ящик не измеряют попадание во «Входящие» у отправителей
mailbox-refused-today = Отказали нам сегодня: { $count } ({ $reasons })
mailbox-import-result = Импорт: добавлено { $created }, обновлено { $updated }, строк с ошибками { $invalid }, не прошли проверку входа { $failed }.
mailbox-import-partial = Сохранены только строки без ошибок, строки ниже — нет. Исправьте их и пришлите снова (повторно присланный ящик обновляется, а не добавляется второй раз).
mailbox-import-row = Строка { $line } ({ $address }): { $result }
error-mailbox-ca-file-missing = Пришлите сертификат CA (файл PEM) с подписью «/mailbox_ca { $address }» или «/mailbox_ca { $address } default», чтобы вернуть стандартное доверие.
mailbox-ca-not-stored = Не сохранено: с таким доверием проверка входа { $address } не проходит, ящик остаётся с прежними настройками.
mailbox-ca-cleared = { $address } снова доверяет только стандартным CA; вход работает.
mailbox-ca-stored = { $address } теперь доверяет своему CA (сертификатов: { $count }); вход по SMTP и IMAP с ним работает.
mailbox-own-ca = TLS: доверяет своему CA (изменить — /mailbox_ca).
mailbox-check-never = Ещё не проверялся: /mailbox_test проверит вход.
mailbox-check-unchecked = Последняя проверка ({ $when }): проверить не удалось: { $error }
mailbox-check-refused = Последняя проверка ({ $when }, неудачных входов подряд: { $failures }): { $error }
mailbox-check-ok = Последняя проверка ({ $when }): вход работает.
mailbox-late-read = Входящие (читаются ради ответов на письма, отправленные до остановки) не читаются: последняя попытка { $when } — { $error }; неудачных попыток подряд: { $failures }. Следующая — не раньше { $next }, каждая следующая реже.
mailboxes-line-inbox-unread = 📭 входящие не читаются
mailbox-tested-since-disabled-ok = Проверка входа после отключения ({ $when }): оба входа работают — /mailbox_resume { $address } вернёт ящик в работу.
mailbox-tested-since-disabled-same = Проверка входа после отключения ({ $when }): та же ошибка, из-за которой ящик отключён — { $error }
mailbox-tested-since-disabled-failed = Проверка входа после отключения ({ $when }) не прошла: { $error }
mailbox-plaintext-warning = { $address }: логин передаётся по сети без шифрования ({ $protocols }: режим TLS «plain»); выберите starttls или ssl, если сервер их поддерживает.
mailbox-import-row-ref = Строка { $line } ({ $address })
mailbox-test-result = Проверка входа: успешно { $ok }, отказано { $refused }, проверить не удалось { $unchecked }.
mailbox-paused = Ящик { $address } на паузе: отправка остановлена, входящие читаются.
mailbox-resumed = Ящик { $address } снова в работе: { $status }.

cmd-mailboxes = ящики пространства (страницы, фильтр domain= и status=)
cmd-mailbox = карточка ящика
cmd-mailbox-import = импорт ящиков из CSV с проверкой входа
cmd-mailbox-test = проверить вход SMTP и IMAP (адрес или all)
cmd-mailbox-ca = доверять CA частного сервера для ящика (файл PEM) или default
cmd-mailbox-pause = поставить ящик на паузу
cmd-mailbox-resume = вернуть ящик в работу
mailbox-endpoint = { $host }:{ $port } ({ $tls })
