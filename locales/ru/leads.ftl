# Лиды: импорт, проверка, подавление

cmd-leads-import = импорт лидов из CSV (кампания, source=, basis=, колонки вида email=Почта)
cmd-leads = лиды рабочего пространства: сколько по вердиктам, несколько примеров (поиск по адресу, имени или компании)
cmd-suppress = больше никогда не писать на адрес или домен (all — во всех пространствах, только админ)
cmd-unsuppress = снять подавление адреса или домена (согласие — отписавшийся снова согласился)
arg-leads-import-options = кампания и параметры
arg-leads-query = поиск
arg-suppress-value = адрес или домен
arg-unsuppress-value = адрес или домен

leads-import-result = Строк: { $rows }. Новых лидов: { $imported }, обновлено: { $updated }, повторов в файле: { $duplicates }, недействительных: { $invalid }, рискованных: { $risky }, не проверено: { $unknown }, в списке подавления: { $suppressed }.
leads-import-no-header = В файле нет строки заголовка: первая строка прочитана как лид, адреса — из столбца { $column }.
leads-import-no-header-unread = { $count ->
    [one] Ещё { $count } столбец не импортирован
    [few] Ещё { $count } столбца не импортированы
   *[many] Ещё { $count } столбцов не импортированы
} (имена, компании…): чтобы сохранить их, добавьте строку заголовка, например email;Имя;Компания, и пришлите файл снова.
leads-import-title-skipped = Заголовки колонок взяты из строки { $line }; { $count ->
    [one] строка над ней пропущена
    [few] { $count } строки над ней пропущены
   *[many] { $count } строк над ней пропущено
} (название таблицы, дата — не лиды).
leads-import-unnamed-column = У столбца { $column } нет заголовка: его значения сохранены в поле «{ $name }» (в письме — { $placeholder }). Чтобы прочитать его как поле лида, назовите его при импорте по номеру, например name=столбец { $column }.
leads-import-renamed-column = Заголовок «{ $header }» встречается не один раз: значения следующего такого столбца сохранены в поле «{ $name }» (в письме — { $placeholder }).
leads-import-zone-example = «{ $value }»
leads-import-zone-unknown = Часовой пояс не понят в { $count } { $count ->
    [one] строке
   *[other] строках
} ({ $examples }): этим лидам пишем по часовому поясу кампании. Укажите его как Europe/Moscow, МСК+4, UTC+3 или городом (Новосибирск) и загрузите файл ещё раз.
leads-import-enrolled = В кампанию «{ $campaign }» добавлено: { $enrolled }.
leads-import-skipped = Не добавлены в кампанию: { $reasons }.
leads-import-reasons = Причины: { $reasons }.
leads-import-report = Отклонённые строки ({ $count }) — в приложенном файле.
leads-report-line = Строка
leads-report-email = Email
leads-report-reason = Причина
leads-report-omitted = …и ещё { $count } { $count ->
    [one] строка
    [few] строки
   *[many] строк
} (в отчёт вошли первые)

leads-reason-empty = пустой адрес
leads-reason-syntax = не адрес электронной почты
leads-reason-local-not-latin = часть адреса до @ не латиницей (на такой адрес письмо не отправить)
leads-reason-duplicate = повтор адреса в файле (регистр букв и +метка не в счёт: это тот же ящик) — значения строки дописаны в пустые поля первой строки с этим адресом
leads-reason-disposable = одноразовый почтовый сервис
leads-reason-role = общий адрес отдела (info@, sales@…)
leads-reason-no-domain = домен не существует
leads-reason-no-mx = домен не принимает почту (нет MX и A)
leads-reason-null-mx = домен отказывается от почты (null MX)
leads-reason-dns-timeout = DNS не ответил вовремя, не проверено
leads-reason-dns-error = DNS-сервер вернул ошибку, не проверено
leads-reason-dns-not-checked = DNS не проверялся
leads-reason-suppressed = в списке подавления
leads-reason-no-legal-basis = нет правового основания (152-ФЗ)
leads-reason-hard-bounce = адрес вернул жёсткий отказ
leads-reason-left-company = больше не работает в компании (по автоответу): писем на этот адрес больше не будет
leads-replacement = в автоответе назван новый контакт: { $address } (не добавлен: добавьте его сами, если нужно)
leads-reason-extra-cells = значений больше, чем столбцов в заголовке (разделитель внутри значения? возьмите его в кавычки)
leads-reason-invalid = недействительный адрес
leads-reason-already-enrolled = уже в этой кампании (сам или тот же ящик под другим адресом: с +меткой или без)
leads-reason-in-other-campaign = уже в другой идущей кампании (сам или тот же ящик под другим адресом)
leads-reason-contacted-elsewhere = недавно получал письмо от другого клиента агентства (на этот же ящик)

leads-none = Лидов пока нет. Загрузите CSV командой /leads_import.
leads-none-query = Ничего не найдено.
leads-title = Лиды: { $total }
leads-counts = ✅ действительных: { $valid } · ⚠️ рискованных: { $risky } · ❔ не проверено: { $unknown } · ❌ недействительных: { $invalid }
leads-suppressed = { $value } подавлен ({ $scope }).
leads-suppressed-already = { $value } уже был подавлен ({ $scope }).
leads-suppress-stopped = Остановлено активных цепочек: { $count }.
leads-unsuppressed = Подавление { $value } снято ({ $scope }).
leads-unsuppressed-still = { $value } всё равно закрыт: { $by ->
    [domain] его домен в списке запрета этого пространства (откройте домен через /unsuppress).
    [agency-domain] его домен в общем списке агентства (снимает админ, с all).
   *[agency] он в общем списке агентства (снимает админ, с all).
}
leads-scope-global = во всех пространствах
leads-scope-workspace = в этом пространстве

error-leads-format = Это не CSV, а файл { $format }. Сохраните таблицу как «CSV (разделители — запятые или точка с запятой)» и пришлите снова.
error-leads-binary = Это не текстовый файл. Пришлите CSV (UTF-8 или Windows-1251).
error-leads-archive-entries = В архиве должен быть ровно один CSV-файл, а в нём { $count }: { $names }.
error-leads-archive-encrypted = Архив защищён паролем. Упакуйте CSV без пароля и пришлите снова.
error-leads-archive-broken = Архив { $format } повреждён или обрезан, распаковать его не удалось; ничего не импортировано. Упакуйте CSV заново и пришлите.
error-leads-unpacked-too-large = В распакованном виде файл больше { $limit_mb } МБ; ничего не импортировано. Разделите его на несколько файлов.
error-leads-encoding = Строку { $line } не удалось прочитать в кодировке файла: похоже, в файле смешаны UTF-8 и Windows-1251. Сохраните его в одной кодировке.
error-leads-csv = Строка { $line }: файл CSV повреждён ({ $detail }).
error-leads-columns = Строка { $line }: { $count } { $count ->
    [one] колонка
    [few] колонки
   *[many] колонок
}, допустимо не больше { $limit }.
error-leads-field-long = Строка { $line }: ячейка длиннее { $limit } символов — вероятно, не закрыта кавычка.
error-leads-control = Строка { $line }: в ячейке управляющий символ (NUL, ESC или подобный) — файл повреждён или это не текст. Ничего не импортировано. Уберите символ и пришлите файл снова.
error-leads-unclosed-quote = Строка { $line }: кавычка открыта и не закрыта до конца файла, так что остаток файла стал бы одной ячейкой. Закройте кавычку (или уберите её) и пришлите файл снова.
error-leads-empty = Файл пуст.
error-leads-no-rows = В файле только строка заголовков ({ $headers }) — лидов в нём нет. Добавьте под ней строки с адресами и пришлите снова.
error-leads-no-email = В файле нет колонки с email. Найдены заголовки: { $headers }. Укажите колонку явно, например email=Почта.
error-leads-no-header = Колонки «{ $header }» в файле нет. Найдены заголовки: { $headers }. Столбец без заголовка называют по номеру, например name=столбец 2.
error-leads-unknown-field = Поля «{ $field }» у лида нет. Можно указать: { $fields }.
error-leads-no-basis = Не указано правовое основание (152-ФЗ, 38-ФЗ): добавьте колонку «основание» или параметр basis=…, например basis="согласие форма 12". Основания: { $choices }.
error-leads-option = Непонятный параметр «{ $word }». Можно: source=…, basis=…, и колонки: { $fields }.
error-leads-campaign-not-found = Кампании «{ $name }» нет в этом пространстве. Список: /campaigns
error-leads-enroll-closed = Кампания «{ $name }» завершена или в архиве ({ $status }): добавлять в неё лидов нельзя.
error-leads-query-long = Запрос слишком длинный: не больше { $limit } символов.
error-leads-suppress-value = «{ $value }» — не адрес и не домен.
error-leads-suppress-wildcard = «{ $value }»: шаблоны не поддерживаются. Домен закрывает адреса только на самом домене: /suppress { $domain }; поддомен закрывается отдельно, например /suppress mail.{ $domain }
error-leads-suppress-list = Ничего не подавлено: { $count ->
    [one] одно значение из списка — не адрес и не домен
   *[other] значений из списка, которые не адреса и не домены: { $count }
}. Исправьте и пришлите список снова:
{ $problems }
error-leads-suppress-too-many = Слишком много адресов и доменов для одной команды: { $count }, можно не больше { $max }. Разделите список.
error-leads-suppression-not-found = { $value } не в списке подавления.
error-leads-suppression-mailbox = У { $value } нет своей записи: в списке подавления его ящик { $mailbox }, а он закрывает и все адреса с +меткой (отписка закрывает весь ящик). Снимите её: /unsuppress { $mailbox }
error-leads-unsuppress-opt-out = { $value } { $reason ->
    [complaint] пожаловался на наше письмо как на спам
   *[other] отписался
} { $day } (UTC): отменить это может только сам человек (38-ФЗ, ст. 18). Если он снова согласился получать письма, укажите это: /unsuppress { $value } согласие
