# Графики и выгрузки (engine/charts/, engine/exports.py, bot/handlers/charts.py)

cmd-chart = график в PNG: volume (объём по доменам), rates (ответы, жёсткие отказы, блокировки), warmup (прогрев), pool (домены); период в днях, например 14d
cmd-export-campaign = выгрузка CSV результатов кампании по шагам и вариантам
cmd-export-leads = выгрузка CSV лидов кампании: статус, сколько шагов отправлено, ответ, отказ, отписка

chart-error-period = Период «{ $period }» не подходит: укажите число дней от 1 до { $max }, например 14 или 14d.
chart-empty = Нет данных за этот период
chart-volume-title = Отправлено по доменам за { $days } дн.
chart-volume-axis = писем в день
chart-volume-other = остальные домены
chart-rates-title = Ответы, жёсткие отказы и блокировки за { $days } дн.
chart-rate-reply = ответы
chart-rate-hard-bounce = жёсткие отказы
chart-rate-block = блокировки
chart-rates-gaps = Пропуски — дни, когда писем было слишком мало для оценки (это не 0 %).
chart-rates-too-few = Писем за период: { $sent } — слишком мало, чтобы судить о долях по дням (это не 0 %)
chart-warmup-title = Прогрев: ящики по этапам сегодня
chart-warmup-mailboxes = ящиков
chart-warmup-checks = Проверки прогрева за { $days } дн.: входящие и спам
chart-warmup-inbox = во входящих
chart-warmup-spam = в спаме
chart-warmup-no-checks = Проверок прогрева за этот период не было
chart-pool-title = Домены: активные и резерв
chart-pool-axis = доменов
chart-pool-active = активные
chart-pool-ready = готовы в резерве
chart-pool-warming = прогреваются в резерве
chart-pool-cooling = остывают
chart-pool-burned = выгорели в этом месяце
chart-pool-empty = В пространстве ещё нет доменов: /domain_add
chart-pool-empty-client = В пространстве ещё нет доменов
chart-pool-target = желаемый резерв

export-campaign-ready = Результаты кампании по шагам и вариантам: строк { $rows }. Файл ниже (открывается в Excel).
export-campaign-empty = Кампания { $name } ещё не отправила ни одного письма: выгружать пока нечего. Запросите выгрузку, когда она начнёт отправлять.
export-campaign-retention = Пространство хранит данные { $days } { $days ->
    [one] день
    [few] дня
   *[many] дней
} (/retention): в файле письма, отправленные с { $since }, и что из них вышло; ответы, отказы и отписки на более ранние письма стерты. В /report_campaign все счетчики сохранены.
export-campaign-retention-empty = Кампания { $name } ничего не отправляла с { $since }, а пространство хранит данные { $days } { $days ->
    [one] день
    [few] дня
   *[many] дней
} (/retention): ответы, отказы и отписки на ее прежние письма стерты, выгружать нечего. В /report_campaign все счетчики сохранены.
export-leads-ready = Лиды кампании: { $rows }. Файл ниже (открывается в Excel).
export-leads-retention = Пространство хранит данные { $days } { $days ->
    [one] день
    [few] дня
   *[many] дней
} (/retention): ответы, отказы и отписки до { $since } стерты, поэтому «нет» в этих колонках верно только для писем, отправленных с этого дня; колонка «Статус» по-прежнему говорит, где стоит каждый лид.
export-leads-empty = В кампании { $name } ещё нет лидов: выгружать нечего. Добавьте их: /leads_import { $name } и CSV-файл.
export-leads-empty-client = В кампании { $name } ещё нет лидов: выгружать пока нечего.
export-too-big = Выгрузка больше { $limit } МБ — столько не отправить в чат. Разбейте кампанию или обратитесь к администратору.
export-not-enough = мало данных
export-yes = да
export-no = нет
export-col-step = Шаг
export-col-variant = Вариант
export-col-sent = Отправлено
export-col-replies = Ответы
export-col-hard-bounces = Жёсткие отказы
export-col-unsubscribes = Отписки
export-col-reply-rate = Ответы, %
export-col-hard-bounce-rate = Жёсткие отказы, %
export-col-unsubscribe-rate = Отписки, %
export-col-email = Email
export-col-name = Имя
export-col-company = Компания
export-col-state = Статус
export-col-steps-sent = Шагов отправлено
export-col-last-sent = Последнее письмо
export-col-replied = Ответил
export-col-bounced = Отказ
export-col-unsubscribed = Отписался
export-col-verdict = Проверка адреса
export-state-active = в работе
export-state-completed = цепочка завершена
export-state-replied = ответил
export-state-bounced = не доставлено
export-state-unsubscribed = отписался
export-state-stopped = остановлен
export-state-left-company = остановлен: больше не работает в компании
export-verdict-valid = действителен
export-verdict-risky = рискованный
export-verdict-unknown = не проверен
export-verdict-invalid = недействителен

arg-chart-period = период в днях
arg-export-campaign-name = кампания
arg-export-leads-name = кампания
