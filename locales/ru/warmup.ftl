## Прогрев в чате: /warmup, /warmup_start, /warmup_pause, /warmup_settings, /why.

warmup-none = В этом пространстве ещё нет ящиков.
warmup-none-manage = В этом пространстве ещё нет ящиков. Импортируйте их (/mailbox_import), затем запустите прогрев: /warmup_start all
warmup-title = Прогрев: ящиков { $total }
warmup-stage-not-started = прогрев не начат
warmup-stage-warming = греются
warmup-stage-waiting = срок прошёл, ждут хорошей доставляемости
warmup-stage-ready = готовы, перейдут в работу при следующей проверке
warmup-stage-graduated = в работе (поддерживающий прогрев)
warmup-paused-count = Прогрев на паузе: { $count }
warmup-stopped-count = Сейчас не шлют прогрев ({ $count }): { $states }
warmup-worst = Хуже всего доходят во «Входящие»:
warmup-unmeasured = Пока мало данных о доставляемости: { $count }
warmup-domain-empty = У домена { $domain } нет ящиков.
warmup-domain-title = { $domain }: ящиков { $count }
warmup-line = { $mark } { $address }: день { $day } из { $days }, сегодня { $sent }/{ $target } · { $placement }
warmup-line-working = { $mark } { $address }: в работе, поддерживающий прогрев сегодня { $sent }/{ $target } · { $placement }
warmup-line-not-started = { $mark } { $address }: прогрев не начат
warmup-line-stopped = { $mark } { $address }: прогрев пройден, сейчас ничего не отправляет (статус: { $status })
warmup-day = День прогрева { $day } из { $days }
warmup-today = Сегодня: цель { $target }, отправлено { $sent }
warmup-peers-short = Сегодня адресат нашёлся только для { $allowed } из { $wanted } { $wanted ->
    [one] письма
   *[other] писем
} прогрева: прогрев идёт на ящики других доменов пространства. Добавьте ящики на другом домене или включите общий пул агентства (настройка прогрева pool = agency).
warmup-placement = Во «Входящих»: { $percent } % из { $sample } { $sample ->
    [one] письма
   *[other] писем
} за 14 дней
warmup-placement-none = Доставляемость: мало данных ({ $sample } { $sample ->
    [one] письмо
    [few] письма
   *[many] писем
} из { $needed } нужных)
warmup-paused-note = ⏸ Прогрев на паузе (продолжить: /warmup_start)
warmup-eta-not-started = Прогрев не начат: /warmup_start
warmup-eta-warming = Готов к рассылкам не раньше { $date }, если во «Входящие» дойдёт не меньше { $threshold } %
warmup-eta-waiting = Срок прогрева прошёл ({ $date }); ждём, пока во «Входящие» будет доходить не меньше { $threshold } % при достаточной выборке
warmup-eta-ready = Готов: перейдёт в работу при ближайшей ежедневной проверке
warmup-eta-graduated = В работе с рассылками; поддерживающий прогрев продолжается
warmup-eta-graduated-stopped = Прогрев пройден; сейчас ничего не отправляет (статус: { $status })
warmup-eta-graduated-paused = В работе с рассылками; поддерживающий прогрев на паузе
warmup-eta-warming-held = Готов к рассылкам не раньше { $date } и позже на каждый день, пока прогрев стоит, если во «Входящие» дойдёт не меньше { $threshold } %
warmup-eta-ready-paused = Готов: перейдёт в работу при ежедневной проверке после /warmup_start (прогрев на паузе)
warmup-eta-ready-stopped = Готов: перейдёт в работу при ежедневной проверке, когда ящик вернётся в работу (сейчас: { $status })
warmup-started = Прогрев запущен: { $changed }, уже шёл: { $unchanged }, пропущено: { $skipped }.
warmup-paused = Прогрев на паузе: { $changed }, уже были на паузе: { $unchanged }.
warmup-start-skipped = Не запущены (ящик на паузе, отключён или охлаждается — сначала /mailbox_resume): { $mailboxes }
warmup-start-alone = Прогреваться не с кем: прогрев идёт только на ящики других доменов пространства, а таких в прогреве нет — писем прогрева не будет. Добавьте ящики на другом домене и запустите их прогрев или включите общий пул агентства (/warmup_settings pool agency): { $mailboxes }
warmup-start-dns-unready = Домены, чей DNS ещё не прошёл проверку (не проверялся, запись неверна или не ответила): { $domains }. Письма прогрева без SPF, DKIM и DMARC попадают в спам, и эта репутация остаётся за доменом. Проверьте: /dns_check
error-warmup-mailbox-retired = Ящик { $address } выведен из работы: прогрев он больше не шлёт и не получает.
warmup-settings-title = Настройки прогрева
warmup-setting-line = { $name } = { $value } (допустимо: { $bounds })
warmup-settings-hint = Изменить: /warmup_settings имя значение, например /warmup_settings target_per_day 30
warmup-setting-hint = Изменить: /warmup_settings { $name } значение
warmup-setting-changed = Настройка прогрева { $name }: было { $before }, стало { $after }.
warmup-setting-continued = { $count ->
    [one] { $count } ящик в прогреве продолжает
    [few] { $count } ящика в прогреве продолжают
   *[other] { $count } ящиков в прогреве продолжают
} со своего сегодняшнего объёма, а не с пересчитанного от начала прогрева: прибавляя не больше { $step } в день, до { $target } в день.
warmup-setting-lowered = { $count ->
    [one] { $count } из них уже шлёт больше новой цели: его объём снижается до { $target } в день.
    [few] { $count } из них уже шлют больше новой цели: их объём снижается до { $target } в день.
   *[other] { $count } из них уже шлют больше новой цели: их объём снижается до { $target } в день.
}
why-nothing = { $target }: сегодня ничего не сдерживалось.
why-protected = { $target }: сегодня его сдерживает защита:
why-title = Почему отправлено меньше: { $target }, { $day }
why-line = { $mailbox }: хотел { $wanted }, можно { $allowed } — { $cap }
why-cap-provider = дневной лимит почтового провайдера
why-cap-warmup = цель прогрева на сегодня
why-cap-health = лимит снижен из-за здоровья ящика
why-cap-mailbox = дневной лимит ящика
why-cap-domain = доля ящика в дневном лимите домена
why-cap-campaign = дневной лимит кампании
why-cap-workspace = дневной лимит пространства
why-cap-status = ящик или домен на паузе, отключён или охлаждается
why-cap-window = в окне отправки на сегодня не осталось места
why-cap-peers = не нашлось подходящих ящиков-собеседников для прогрева

cmd-warmup = прогрев: ящик, домен или сводка по пространству
cmd-warmup-start = запустить прогрев (ящик, домен или all)
cmd-warmup-pause = приостановить прогрев (ящик, домен или all)
cmd-warmup-settings = настройки прогрева и их допустимые значения; изменить одну
cmd-why = почему ящик или домен сегодня отправил меньше, чем хотел
