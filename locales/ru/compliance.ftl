# Соответствие закону РФ: подпись отправителя, забвение, срок хранения, журнал аудита

cmd-workspace-legal = юридическое название и контакт отправителя для подписи каждого письма (149-ФЗ ст. 10); без аргументов — показать текущие
cmd-forget = стереть данные человека (лиды, письма, события), оставив только хеш в списке запрета; all — во всех пространствах (админ)
cmd-forget-confirm = подтвердить стирание данных человека
cmd-retention = срок хранения данных в днях (события, тексты писем, старые лиды) или off; без аргумента — показать текущий
cmd-audit-export = журнал аудита в CSV за период (даты ГГГГ-ММ-ДД, по умолчанию последние 30 дней)

arg-workspace-legal-legal-name = название
arg-workspace-legal-contact = контакт
arg-retention-days = дней|off
arg-audit-export-from = с
arg-audit-export-to = по
arg-forget-email = email
arg-forget-confirm-token = подтверждение

legal-current = Подпись писем: { $name }, { $contact }
legal-none = Подпись отправителя не задана: кампании не запустятся. Задайте: /workspace_legal "ООО «Вектор», ИНН 7701234567" Москва, ул. Ленина, 1, info@vektor.example
legal-set = Подпись писем сохранена: { $name }, { $contact }. Она появится в каждом письме кампаний.
error-legal-missing-contact = Укажите после названия контакт: адрес, ИНН/ОГРН, почту или телефон. Пример: /workspace_legal "ООО «Вектор»" Москва, ул. Ленина, 1, info@vektor.example
error-legal-too-long = Слишком длинное поле «{ $field ->
    [legal_name] название
   *[other] контакт
}»: { $length } { $length ->
    [one] символ
    [few] символа
   *[many] символов
}, можно не больше { $limit }.
error-legal-control = В поле «{ $field ->
    [legal_name] название
   *[other] контакт
}» есть перевод строки или управляющий символ: подпись должна быть одной строкой.
error-legal-too-short = Поле «{ $field ->
    [legal_name] название
   *[other] контакт
}» пустое или слишком короткое (нужно хотя бы { $min } символа с буквами или цифрами).
campaign-refuse-no-legal-name = не задано юридическое название отправителя для подписи писем (149-ФЗ ст. 10): /workspace_legal
campaign-refuse-no-contact = не задан контакт отправителя для подписи писем (адрес, ИНН/ОГРН, почта или телефон): /workspace_legal

forget-done = Данные { $scope } стерты: лидов { $leads }, участий в кампаниях { $enrollments }, писем очищено { $messages }, событий очищено от данных человека (оставлены для подсчетов) { $events }, записей запрета заменено хешем { $suppressions }. Адрес больше не хранится; писать на него нельзя (остался только хеш). Копии писем в самих ящиках (папки у почтового провайдера) не удаляются: при необходимости удалите их там.
forget-confirm = Будет стерто { $scope }: лидов { $leads }, участий в кампаниях { $enrollments }, писем { $messages }, событий (очищаются от данных человека, остаются для подсчетов) { $events }, записей запрета { $suppressions }. Отменить это нельзя. Кнопка действует 15 минут.
forget-confirm-button = Стереть навсегда
error-forget-confirm-expired = Это подтверждение устарело или уже использовано. Повторите: /forget <адрес>
forget-nothing = Данных об этом адресе { $scope } нет; хеш в списке запрета { $new ->
    [yes] добавлен
   *[no] уже был
}, писать на адрес нельзя.
forget-scope-workspace = в пространстве «{ $workspace }»
forget-scope-global = во всех пространствах
error-forget-address = «{ $value }» — не адрес электронной почты. Пример: /forget ivan@acme.ru

retention-current = Срок хранения: { $days } дн. События, тексты писем и лиды старше этого удаляются ежедневно; счетчики статистики и список запрета сохраняются.
retention-off = Срок хранения не задан: данные хранятся, пока их не удалят. Задайте: /retention 365
retention-set = Срок хранения: { $days } дн. (было: { $before }). Старые данные удаляются ежедневно по ночам.
retention-set-off = Срок хранения отключен (было: { $before }): данные больше не удаляются автоматически.
retention-was-off = не задан
error-retention-range = Срок хранения — от { $min } до { $max } дней, или off.
error-retention-value = «{ $value }» — не число дней. Пример: /retention 365 или /retention off

audit-export-ready = Записей журнала: { $rows } ({ $from } — { $to }, UTC). Файл ниже.
audit-export-empty = Записей журнала за { $from } — { $to } (UTC) нет.
audit-col-time = Время
audit-col-workspace = Пространство
audit-col-actor = Кто
audit-col-actor-name = Имя
audit-col-action = Действие
audit-col-action-code = Код действия
audit-col-subject = Объект
audit-col-subject-code = Код объекта
audit-col-details = Подробности
audit-col-data = Подробности (JSON)
error-audit-date = Дата «{ $value }» ({ $field ->
    [from] начало
   *[other] конец
}) — нужен формат ГГГГ-ММ-ДД, например 2026-03-01.
error-audit-range = Период должен начинаться не позже конца и быть не длиннее { $days } дней.
error-audit-too-many = За этот период больше { $limit } записей: выберите период короче.

legal-basis-consent = согласие
legal-basis-contract = договор
legal-basis-public-contact = опубликованный деловой контакт
legal-basis-none = не записано
export-col-source = Источник
export-col-legal-basis = Правовое основание
export-col-basis-note = Подтверждение основания
error-leads-bad-basis = Основание «{ $value }» не распознано: первое слово должно быть одним из: { $choices }. Пример: basis="договор 12".
error-leads-no-source = Не указан источник лидов (откуда адреса: 38-ФЗ, 152-ФЗ): добавьте колонку «источник» или параметр source=…, например source="выставка 2026".
leads-reason-bad-legal-basis = основание не распознано
leads-reason-no-source = нет источника

# Действия журнала словами (столбец «Действие» выгрузки; код рядом)
audit-action-command = команда
audit-action-alert-ack = тревога принята
audit-action-approval-decide = решение по запросу подтверждения
audit-action-approval-transition = запрос подтверждения сменил состояние
audit-action-agency-chat-bind = чат агентства подключён
audit-action-agency-chat-unbind = чат агентства отключён
audit-action-chat-unbind = чат отключён от пространства
audit-action-chat-move = чат перенесён на новый id (группа Telegram стала супергруппой)
audit-action-agency-chat-move = чат агентства перенесён на новый id (группа Telegram стала супергруппой)
audit-action-campaign-create = кампания создана
audit-action-campaign-settings = настройки кампании изменены
audit-action-campaign-steps = шаги кампании заданы
audit-action-campaign-group = группа ящиков кампании задана
audit-action-campaign-start = кампания запущена
audit-action-campaign-resume = кампания возобновлена
audit-action-campaign-pause = кампания приостановлена
audit-action-campaign-test = тестовое письмо кампании отправлено
audit-action-campaign-transition = кампания сменила состояние
audit-action-compliance-forget = данные человека удалены
audit-action-leads-unsuppress = подавление снято
audit-action-costs-setting = цена изменена
audit-action-domain-import = домены добавлены
audit-action-domain-set = настройка домена изменена
audit-action-domain-delete = домен удалён
audit-action-domain-dmarc-adopted = политика DMARC принята как есть
audit-action-domain-dns-apply = DNS-план применён
audit-action-domain-dkim-set = ключ DKIM сохранён
audit-action-domain-swap-proposed = предложена замена домена
audit-action-domain-swap-stale = запрос на замену домена устарел
audit-action-domain-swap = домен заменён резервным
audit-action-domain-transition = домен сменил состояние
audit-action-mailbox-transition = ящик сменил состояние
audit-action-monitoring-cooldown = ящик приостановлен из-за отказов
audit-action-monitoring-return = ящик вернулся после паузы
audit-action-monitoring-cut = объём отправки снижен
audit-action-monitoring-restore = объём отправки повышен обратно
audit-action-monitoring-disable = ящик отключён после сбоев
audit-action-monitoring-pause = отправка в пространстве приостановлена
audit-action-monitoring-resume = отправка в пространстве возобновлена
audit-action-monitoring-threshold = порог защиты изменён
audit-action-retention-purge = старые данные удалены по сроку хранения
audit-action-warmup-start = прогрев запущен
audit-action-warmup-pause = прогрев приостановлен
audit-action-warmup-setting = настройка прогрева изменена
audit-action-workspace-create = пространство создано
audit-action-invite-redeem = использован код приглашения (вход в пространство)
audit-action-workspace-setting = настройка пространства изменена
audit-action-workspace-sender-identity = реквизиты отправителя изменены
audit-action-workspace-retention = срок хранения изменён
