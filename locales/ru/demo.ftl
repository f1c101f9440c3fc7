# mailfleet demo: the story the transcript tells and what the terminal shows

demo-start = демо: { $clients } { $clients ->
    [one] клиент
    [few] клиента
   *[many] клиентов
}, { $domains } { $domains ->
    [one] домен
    [few] домена
   *[many] доменов
}, { $mailboxes } { $mailboxes ->
    [one] ящик
    [few] ящика
   *[many] ящиков
}, seed { $seed }
demo-inventory = «{ $name }» ({ $slug }): { $domains } { $domains ->
    [one] домен
    [few] домена
   *[many] доменов
} (резерв: { $reserve }) и { $mailboxes } { $mailboxes ->
    [one] ящик
    [few] ящика
   *[many] ящиков
} на Яндекс 360 / Mail.ru — инвентарь агентства, записан как импорт (демо)
demo-inventory-warming = { $inventory }; их прогрев начат за { $days } { $days ->
    [one] день
    [few] дня
   *[many] дней
} до демо
demo-listed = симуляция: { $list } вносит { $domain } в список
demo-the-end = итоги
demo-interrupted = прервано на дне { $day } из { $days }: в { $path } — то, что этот запуск успел записать (переписка до этого места; без итогов и графиков). Запустите демо снова, чтобы начать заново
demo-auto-approved = демо: одобрено автоматически
demo-auto-resumed = демо: сгоревший домен заменён, менеджер возобновляет отправку
demo-pressed = демо: нажата кнопка «{ $label }»
demo-admin = админ агентства
demo-admin-chat = консоль агентства
demo-team-chat = Telegram «{ $name } — менеджеры»
demo-client-chat = Telegram «{ $name } — клиент»
demo-manager = менеджер { $name }
demo-client = клиент { $name }
demo-weekdays = пн-пт
demo-lead-source = выставка
demo-lead-basis = договор оферты

demo-progress = день { $day }/{ $days } · { $date } · отправлено { $sent } · прогрев: входящие { $inbox }, спам { $spam } · ответов { $replies }, отказов { $bounces } · { $seconds } с
demo-summary-title = Демо Mailfleet: { $weeks } { $weeks ->
    [one] неделя
    [few] недели
   *[many] недель
}, { $mailboxes } { $mailboxes ->
    [one] ящик
    [few] ящика
   *[many] ящиков
}, { $domains } { $domains ->
    [one] домен
    [few] домена
   *[many] доменов
}, { $clients } { $clients ->
    [one] клиент
    [few] клиента
   *[many] клиентов
}, seed { $seed }
demo-summary-sent = отправлено писем: { $sent }; прогрев: во входящих { $inbox }, в спаме { $spam }; лиды: ответов { $replies }, автоответов { $auto }, отказов { $bounces }, блокировок { $blocked }, отписок { $unsubscribes }
demo-summary-chats = сообщений в чатах: { $count }, из них Mailfleet написал сам (оповещения, запросы решений, сводки, отчёты): { $notices }; главное:
demo-summary-checks = проверки (по базе данных):
demo-check-ok = ок
demo-check-failed = ОШИБКА
demo-check-mailbox-cap = ни один ящик не превысил свой дневной лимит ни в один день
demo-check-mailbox-cap-detail = превышений (ящико-дней): { $count }
demo-check-stage = ни один прогреваемый ящик не превысил план своего этапа прогрева
demo-check-stage-detail = превышений: { $count } из { $days } { $days ->
    [one] ящико-дня
   *[other] ящико-дней
} прогрева
demo-check-campaign-cap = ни один ящик не превысил лимит кампании на ящик
demo-check-campaign-cap-detail = превышений: { $count }
demo-check-domain-cap = ни один домен не отправил больше { $cap } писем за день
demo-check-domain-cap-detail = самый загруженный день домена: { $busiest }
demo-check-duplicates = ни одному лиду не ушло два письма одного шага
demo-check-duplicates-detail = повторов: { $count }
demo-check-suppressed = ни одного письма кампании на адрес из стоп-листа
demo-check-suppressed-detail = проверено писем: кампаний { $campaign }, прогрева { $warmup }
demo-check-unsubscribed = ни одного письма кампании после отписки
demo-summary-time = время { $wall } с (процессор этого процесса { $cpu } с), пик памяти { $memory } МиБ; по этапам: { $phases }
demo-summary-transcript = переписка чатов: { $path }
demo-summary-folder = папка с результатами: { $path } (графиков PNG: { $charts }, summary.txt, { $log })
demo-phase = { $name } { $seconds } с
demo-phase-send = отправка (и чтение ящиков в это время)
demo-phase-sync = запись прочитанного в ящиках
demo-phase-notify = чаты
demo-phase-monitor = мониторинг
demo-phase-plan_warmup = план прогрева
demo-phase-plan_campaigns = план кампаний
demo-phase-blacklists = чёрные списки
demo-phase-graduate = выпуск из прогрева
demo-phase-dns = проверка DNS
demo-phase-world = мир симуляции
demo-phase-story = сюжет
