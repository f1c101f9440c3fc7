## Почтовые ящики в чате.

mailboxes-none = Ящиков пока нет. Импортируйте их: /mailbox_import и CSV-файл (адрес, пароль или токен, провайдер).
mailboxes-title = Ящики: { $total } (страница { $page } из { $pages })
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
mailbox-today = Сегодня: отправлено { $sent }, ответов { $replies }, отказов { $bounces }, прогревочных в спаме { $spam }
mailbox-last-error = Последняя ошибка ({ $when }, неудачных входов подряд: { $failures }): { $error }
mailbox-import-result = Импорт: добавлено { $created }, обновлено { $updated }, строк с ошибками { $invalid }, не прошли проверку входа { $failed }.
mailbox-import-row = Строка { $line } ({ $address }): { $result }
mailbox-test-result = Проверка входа: успешно { $ok }, с ошибками { $failed }.
mailbox-paused = Ящик { $address } на паузе: отправка остановлена, входящие читаются.
mailbox-resumed = Ящик { $address } снова в работе: { $status }.

cmd-mailboxes = ящики пространства (страницы, фильтр domain= и status=)
cmd-mailbox = карточка ящика
cmd-mailbox-import = импорт ящиков из CSV с проверкой входа
cmd-mailbox-test = проверить вход SMTP и IMAP (адрес или all)
cmd-mailbox-pause = поставить ящик на паузу
cmd-mailbox-resume = вернуть ящик в работу
