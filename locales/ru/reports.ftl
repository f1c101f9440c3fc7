## Отчёты (/report, /report_campaign, /report_domain, /report_mailbox) и ежедневные и еженедельные сводки
cmd-report = Отчёт по пространству за период: today, yesterday, 7d, 30d (любое число дней; недели: 2w, 2н), month, месяц (ноябрь или 2026-11), день (2026-11-05) или 2026-11-01..2026-11-30
cmd-report-campaign = Отчёт по одной кампании за период
cmd-report-domain = Отчёт по одному домену за период (менеджеры)
cmd-report-mailbox = Отчёт по одному ящику за период (менеджеры)
report-title-workspace = 📊 { $subject }: { $period }
report-title-campaign = 📊 Кампания { $subject }: { $period }
report-title-domain = 📊 Домен { $subject }: { $period }
report-title-mailbox = 📊 Ящик { $subject }: { $period }
report-period-day = { $day }
report-period-range = { $start } – { $end } (дней: { $days })
report-numbers = Отправлено: { $sent }{ $warmup ->
        [0] {""}
       *[other] {" "}(из них прогрев { $warmup })
    } · доставлено: { $delivered }
    Открытия: { $opens }
    Ответы: { $replies }
    Жёсткие отказы: { $bounces }
    Блокировки: { $blocks }
    Отписались за период: { $unsubscribes } (каждый человек один раз, и те, чья цепочка уже закончилась) · жалобы: { $complaints }
report-placement = Прогрев во входящих: { $placement }
report-before-start-workspace = За этот период цифр нет: пространство начало работу { $since }.
report-before-start-campaign = За этот период цифр нет: кампания начала работу { $since }.
report-before-start-domain = За этот период цифр нет: домен начал работу { $since }.
report-before-start-mailbox = За этот период цифр нет: ящик начал работу { $since }.
report-since-workspace = Пространство начало работу { $since }: цифры — за { $days } { $days ->
    [one] день
    [few] дня
   *[many] дней
} периода.
report-since-campaign = Кампания начала работу { $since }: цифры — за { $days } { $days ->
    [one] день
    [few] дня
   *[many] дней
} периода.
report-since-domain = Домен начал работу { $since }: цифры — за { $days } { $days ->
    [one] день
    [few] дня
   *[many] дней
} периода.
report-since-mailbox = Ящик начал работу { $since }: цифры — за { $days } { $days ->
    [one] день
    [few] дня
   *[many] дней
} периода.
report-rate = { $percent } % ({ $part } из { $sample })
report-rate-over = { $part } — больше, чем { $sample } { $sample ->
    [one] отправка
    [few] отправки
   *[many] отправок
}, от которых считается доля: это ответы на более ранние письма
report-not-measured = не измеряем
report-not-enough = мало данных ({ $sample } из нужных { $needed })
report-too-few = мало отправок ({ $sample } из нужных { $needed })
report-problems-title = Худшие ящики и домены:
report-problem-mailbox = • { $name }: жёсткие отказы { $bounces } · блокировки { $blocks }
report-problem-domain = • домен { $name }: жёсткие отказы { $bounces } · блокировки { $blocks }
report-problem-retired = (выведен)
report-alerts-title = Открытые тревоги: { $count }
report-alert-line = • { $kind }: { $subject }
report-cooldowns-title = Ящики на паузе: { $count }
report-cooldown-line = • { $address } до { $until }
report-more = … и ещё { $count }
report-campaigns-title = Кампании, которые отправляли письма или получили ответы: { $count }
report-campaign-line = • { $name }: отправлено { $sent } · ответы { $replies } · жёсткие отказы { $bounces } · отписки { $unsubscribes }{ $complaints ->
        [0] {""}
       *[other] {" · жалобы "}{ $complaints }
    }
report-campaign-line-late = • { $name }: за неделю не отправляла; ответы на прежние письма: ответы { $replies } · жёсткие отказы { $bounces } · отписки { $unsubscribes }{ $complaints ->
        [0] {""}
       *[other] {" · жалобы "}{ $complaints }
    }
error-report-period = «{ $value }» — не период. Укажите today (сегодня), yesterday (вчера), 7d, 30d (любое число дней: 7 дней; или недель: 2w, 2н, 2 недели), month (месяц), месяц (ноябрь или 2026-11), день (2026-11-05 или 05.11.2026) или 2026-11-01..2026-11-30 (или 01.11.2026–30.11.2026).
error-report-period-order = В { $value } конец раньше начала.
error-report-period-long = { $value } — слишком длинный период: отчёт охватывает не больше { $days } дней.
error-report-period-future = Период { $value } ещё не наступил: сегодня { $today }.
digest-daily-title = 📰 Сводка за день: { $subject }, { $day }
digest-weekly-title = 📰 Отчёт за неделю: { $subject }, { $start } – { $end }
digest-body = { $body }
digest-sent = Отправлено: { $sent }{ $warmup ->
        [0] {""}
       *[other] {" "}(из них прогрев { $warmup })
    } · ответов: { $replies }
digest-actions-title = Принятые меры: { $count }
digest-action-monitoring-cooldown = • { $subject }: пауза из-за жёстких отказов
digest-action-monitoring-return = • { $subject }: пауза закончилась, ящик снова отправляет
digest-action-monitoring-cut = • { $subject }: объём отправки снижен
digest-action-monitoring-restore = • { $subject }: объём отправки поднят на шаг после чистого дня
digest-action-monitoring-disable = • { $subject }: ящик отключён из-за ошибок входа или SMTP
digest-action-monitoring-pause = • отправка пространства приостановлена: слишком много ошибок и блокировок
digest-action-monitoring-resume = • отправка пространства возобновлена
digest-action-domain-swap = • домен { $subject } заменён резервным
digest-action-domain-cooling = • домен { $subject }: отправка приостановлена (охлаждение)
digest-alerts-title = Тревоги за день: { $count }
digest-alert-line = • { $kind }: { $subject } — { $state ->
        [opened] возникла, ещё открыта
        [opened-resolved] возникла и решена
       *[resolved] решена
    }
digest-decided = Решено запросов: { $count } (одобрено { $approved }, отклонено { $rejected })
digest-no-problems = Проблем нет.
digest-approvals = Ждут одобрения: { $count }
arg-period = период
arg-report-campaign-name = кампания
