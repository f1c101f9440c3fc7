## Мониторинг: /health, /thresholds, строки защиты в /why и тревоги, которые поднимает мониторинг.

cmd-health = здоровье ящиков и доменов: отказы, блокировки, ответы, попадание во входящие (худшие сверху)
cmd-thresholds = пороги защиты и их допустимые значения
cmd-thresholds-set = изменить порог защиты (в допустимых пределах)
cmd-sending-resume = возобновить отправку пространства после паузы
health-sending-paused = ⛔ Отправка в этом пространстве приостановлена ({ $reason }). Когда причина устранена: /sending_resume
sending-resumed = Отправка возобновлена.
sending-not-paused = Отправка не была приостановлена.
health-brief = отправлено { $sent } · жёсткие отказы { $hard } · блокировки { $block } · ответы { $reply } · открытия { $opens } · жалобы { $complaints } · отписки { $unsubscribes }
health-workspace-line = 🏢 Пространство: { $metrics }
health-campaign-line = 📨 { $name }: { $metrics }
health-campaigns-more = …и ещё { $count } { $count ->
    [one] кампания
    [few] кампании
   *[many] кампаний
}: /campaigns
health-none = Пока нет ящиков для наблюдения.
health-none-idle = Наблюдать пока не за чем: ни один из ящиков ({ $count }) не отправляет — { $states }. Возобновить ящик: /mailbox_resume <адрес>; начать прогрев: /warmup_start all
health-none-idle-read = Наблюдать пока не за чем: ни один из ящиков ({ $count }) не отправляет — { $states }.
health-title = Здоровье ящиков и доменов (всего { $count }), худшие сверху (за 7 дней)
health-title-one = Здоровье: { $target }
health-more = …и ещё { $count }. Укажите ящик или домен: /health <адрес или домен>
health-hint = Доля считается только с того числа отправок, что нужно правилам защиты (/thresholds): до этого — «мало отправок», а не 0 %.
health-hint-read = Доля считается только с того числа отправок, что нужно правилам защиты: до этого — «мало отправок», а не 0 %.
health-rate = { $percent } % из { $sample }
health-rate-over = { $part } при { $sample } отправленных — больше отправленного: это ответы на более ранние письма
health-not-enough = мало отправок ({ $sample } из нужных { $needed })
health-line = { $head }: отправлено { $sent } · жёсткие отказы { $hard } · блокировки { $block } · ответы { $reply } · прогрев во входящих { $placement }
health-not-measured = не измеряем
health-window-1d = сегодня
health-window-7d = 7 дней
health-window-last100 = последние 100 отправок
health-metrics = { $window }: отправлено { $sent } · жёсткие отказы { $hard } · блокировки { $block } · ответы { $reply } · открытия { $opens } · прогрев во входящих { $placement } · жалобы { $complaints } · отписки { $unsubscribes } · ошибки SMTP { $errors } · ошибки входа { $auth }
health-head = { $mark } { $name } ({ $state })
health-cut = объём ×{ $factor } ({ $reason })
health-cooldown = на паузе до { $until }
health-held-until = придержан до { $until }: его почтовый сервер попросил подождать или недоступен (/mailbox скажет, что именно)
health-held-by-domain = не отправляет: его домен { $domain } — { $state }
health-inbox-unread = 📭 входящие не читаются с { $since }: отказы и ответы с тех пор не учтены
health-domain-inbox-unread = 📭 входящие не читаются у { $count } из { $total } { $total ->
    [one] ящика
   *[other] ящиков
}: их отказы и ответы не учтены
health-domain-stopped = ⛔ не отправляют { $count } из { $total } { $total ->
    [one] ящика
   *[other] ящиков
} ({ $causes })
health-stopped-auth = отключены после отказов во входе — { $count }
health-stopped-disabled = отключены — { $count }
health-stopped-cooldown = на охлаждении — { $count }
thresholds-title = Пороги защиты
thresholds-line = { $name } = { $value } ({ $bounds }; { $origin })
thresholds-origin-default = по умолчанию
thresholds-origin-agency = по умолчанию агентства
thresholds-origin-workspace = этого пространства
thresholds-hint = Изменить: /thresholds_set <имя> <значение> (доли как 4% или 0.04). Админы: /thresholds_set <имя> <значение> agency меняет значение агентства.
thresholds-changed = Порог { $name }: { $before } → { $after } (это пространство).
thresholds-changed-agency = Значение агентства { $name }: { $before } → { $after }.
error-threshold-unknown = Порога «{ $name }» нет. Есть: { $known }.
error-threshold-value = { $name } не может быть «{ $value }»: допустимо { $bounds }.
why-protection-cooldown = ❄️ { $subject } на паузе до { $until }.
why-protection-cut = 📉 { $subject }: объём снижен до ×{ $factor }.
why-protection-held = ⏸ { $subject } придержан до { $until }: его почтовый сервер попросил подождать или недоступен (/mailbox { $subject } скажет, что именно).
why-protection-inbox = 📭 { $subject }: входящие не читаются с { $since }; письма кампаний с него придержаны, пока входящие снова не прочитаются.
why-protection-domain = 🧊 { $subject } — { $state }: ни один его ящик не отправляет, пока домен не вернётся в работу или его не заменят резервным (/approvals).
why-protection-domain-listed = 🧊 { $subject } — { $state }: он в чёрном списке { $zones }. Ни один его ящик не отправляет, пока домен не исключат из списка или не заменят резервным (/approvals).
why-protection-domain-drift = 🧊 { $subject } — { $state }: его DNS-записи изменились и остались неверными ({ $records }). Ни один его ящик не отправляет, пока записи не исправят (/dns_check) или домен не заменят резервным (/approvals).
why-protection-numbers = Причина: { $rule } { $percent } % из { $sample } ({ $window }), порог { $threshold } %.
why-protections = Действует защита:
monitoring-rule-hard-bounce = жёсткие отказы
monitoring-rule-block-rate = блокировки получателями
monitoring-rule-warmup-spam = прогревочные письма в спаме
monitoring-rule-auth-failures = неудачные входы
monitoring-rule-smtp-errors = ошибки SMTP
monitoring-rule-reply-drop = падение ответов
monitoring-rule-open-drop = падение открытий
monitoring-rule-error-spike = всплеск ошибок и блокировок
monitoring-rule-cooldown-over = пауза закончилась
monitoring-rule-clean-day = чистый день
monitoring-window-1d = за день
monitoring-window-7d = за 7 дней
monitoring-window-3d-14d = за 3 дня против 14
monitoring-window-consecutive = подряд
alert-mailbox-cooldown = { $subject } на паузе до { $until }: жёсткие отказы { $rate_pct } % из { $sample } { $sample ->
    [one] отправки
   *[other] отправок
  } ({ $window }), порог { $threshold_pct } %.
alert-volume-cut = Объём отправки { $subject } снижен до ×{ $factor }: { $rule ->
    [block_rate] блокировки получателями
   *[other] прогревочные письма в спаме
  } { $rate_pct } % из { $sample } ({ $window }), порог { $threshold_pct } %. Объём вернётся на шаг за каждый чистый день.
alert-mailbox-disabled = { $subject } отключён: { $rule ->
    [auth_failures] { $part } { $part ->
        [one] неудачный вход
        [few] неудачных входа
       *[many] неудачных входов
    } подряд
   *[other] { $part } { $part ->
        [one] ошибка
        [few] ошибки
       *[many] ошибок
    } SMTP сегодня
  } (порог { $threshold }). Проверьте пароль или сервер и включите ящик снова.
alert-engagement-drop = { $subject }: { $rule ->
    [open_drop] открытия
   *[other] ответы
  } { $rate_pct } % из { $sample } { $sample ->
    [one] отправки
   *[other] отправок
  }, ниже { $threshold_pct } % ({ $share_pct } % его собственного уровня за 14 дней, { $baseline_pct } %).
alert-sending-paused = Отправка в { $subject } приостановлена: { $part } из { $sample } { $sample ->
    [one] попытки
   *[other] попыток
  } сегодня не прошли или заблокированы ({ $rate_pct } %, порог { $threshold_pct } %). Устраните причину и возобновите отправку.
arg-thresholds-set-name = порог
arg-thresholds-set-value = значение
swap-sending-paused = Отправка в { $workspace } всё ещё приостановлена после всплеска ошибок: замена домена её не возобновляет. Когда причина устранена, возобновите её.
swap-sending-paused-use = Отправка в { $workspace } всё ещё приостановлена после всплеска ошибок: замена домена её не возобновляет. Когда причина устранена: /use { $slug }, затем /sending_resume
sending-resume-button = Возобновить отправку
arg-sending-resume-workspace = пространство
