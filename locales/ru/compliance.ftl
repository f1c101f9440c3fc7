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

forget-done = Данные { $scope } стерты: лидов { $leads }, участий в кампаниях { $enrollments }, писем очищено { $messages }, событий { $events }, записей запрета заменено хешем { $suppressions }. Адрес больше не хранится; писать на него нельзя (остался только хеш). Копии писем в самих ящиках (папки у почтового провайдера) не удаляются: при необходимости удалите их там.
forget-confirm = Будет стерто { $scope }: лидов { $leads }, участий в кампаниях { $enrollments }, писем { $messages }, событий { $events }, записей запрета { $suppressions }. Отменить это нельзя. Кнопка действует 15 минут.
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
audit-col-subject = Объект
audit-col-data = Подробности
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
