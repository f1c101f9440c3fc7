## Расходы и ёмкость: /cost, /cost_set, /capacity.

cmd-cost = расходы на парк в месяц (домены, ящики, серверы) рядом с SaaS-платформой; админы: all
cmd-cost-set = изменить одну цену модели расходов (админы: agency)
cmd-capacity = сколько писем кампаний парк отправит сегодня и в ближайшие недели; влезет ли объём
cost-title = Расходы в месяц: { $workspace }
cost-title-agency = Расходы в месяц: агентство
cost-month = Домены: { $domains } → { $domains_cost } · ящики: { $mailboxes } → { $mailboxes_cost } · серверы: { $servers_cost }
    Итого: { $total } в месяц ({ $per_mailbox } на ящик). Тот же парк на SaaS-платформе: { $saas_total } в месяц.
cost-workspace-line = { $workspace }: { $total } ({ $domains } { $domains ->
    [one] домен
    [few] домена
   *[many] доменов
}, { $mailboxes } { $mailboxes ->
    [one] ящик
    [few] ящика
   *[many] ящиков
}; на SaaS { $saas_total })
cost-prices = Цены: домен { $domain_year } в год · ящик { $mailbox_month } в месяц · серверы { $servers } × { $server_month } в месяц · тариф SaaS { $saas_month } в месяц + { $saas_seat_month } за ящик-место
cost-hint = Изменить цену: /cost_set <имя> <значение> (например, /cost_set mailbox_month 90). Админы добавляют «agency» для цены агентства; серверы и тариф SaaS — общие для агентства.
cost-changed = Цена { $name }: { $before } → { $after } (это пространство).
cost-changed-agency = Цена агентства { $name }: { $before } → { $after }.
error-cost-setting-unknown = Цены «{ $name }» нет. Известные: { $known }.
error-cost-setting = { $name } не может быть «{ $value }»: целое число от { $low } до { $high }.
error-cost-currency = Цены указываются в рублях: { $name } не может быть «{ $value }». Пересчитайте в рубли — целое число от { $low } до { $high }.
error-cost-agency-only = { $name } — общая для всего агентства: её задаёт админ командой /cost_set { $name } <значение> agency.
capacity-title = Ёмкость отправки (письма кампаний)
capacity-today = Сегодня: { $emails } { $emails ->
    [one] письмо
    [few] письма
   *[many] писем
} кампаний с { $senders } из { $mailboxes } { $mailboxes ->
    [one] ящика
   *[other] ящиков
} (кроме { $warmup } { $warmup ->
    [one] письма
   *[other] писем
} прогрева).
capacity-no-mailboxes = В пространстве нет ящиков для рассылки (резерв не в счёт), так что отправлять кампании некому. Добавьте ящики: /mailbox_import, затем /warmup_start all.
capacity-idle = Не отправляют сегодня { $count } из { $mailboxes } { $mailboxes ->
    [one] ящика
   *[other] ящиков
}: { $causes }.
capacity-idle-paused = на паузе — { $count }
capacity-idle-disabled = отключены — { $count }
capacity-idle-cooldown = на охлаждении — { $count }
capacity-idle-domain = домен остывает или сгорел — { $count }
capacity-idle-warmup_paused = прогрев остановлен — { $count }
capacity-idle-new = прогрев не начат — { $count }
capacity-idle-paused-fix = • На паузе: вернуть в работу — /mailbox_resume <адрес>.
capacity-idle-disabled-fix = • Отключённые (отказы во входе или защита): почему — /health; исправьте вход, проверьте /mailbox_test <адрес>, затем /mailbox_resume <адрес>.
capacity-idle-cooldown-fix = • На охлаждении: вернутся сами, когда оно кончится (срок — в /health).
capacity-idle-domain-fix = • Домен остывает или сгорел: что с ним и замена из резерва — /domains.
capacity-idle-warmup_paused-fix = • Прогрев остановлен: продолжить — /warmup_start <адрес или домен>.
capacity-idle-new-fix = • Прогрев не начат: /warmup_start all.
capacity-warming = Ящики ещё прогреваются: первые начнут слать кампании { $start }.
capacity-today-off = Сегодня запущенные кампании не шлют: это не их день.
capacity-days = Учтены только { $days } — дни, в которые шлют запущенные кампании ({ $count } в неделю).
capacity-days-all = Учтены все дни недели — нет запущенной кампании, которая ограничивала бы дни; кампания с отправкой пн–пт получит 5/7 этого.
capacity-week = Неделя { $number } ({ $start } – { $end }): { $emails } ({ $low }–{ $high } в день)
capacity-week-even = Неделя { $number } ({ $start } – { $end }): { $emails } ({ $low } в день)
capacity-reserve = Резерв добавил бы около { $emails } в день, когда прогреется и войдёт в работу (выше не учтён).
capacity-reserve-warm = Готовый резерв добавил бы около { $emails } в день, если ввести его в работу (выше не учтён).
capacity-hint = Влезет ли объём клиента? /capacity <писем> <недель>, например /capacity 12000 1
capacity-fits = ✅ { $emails } { $emails ->
    [one] письмо влезает
    [few] письма влезают
   *[many] писем влезают
} в { $weeks } { $weeks ->
    [one] неделю
    [few] недели
   *[many] недель
}: парк может отправить { $available }.
capacity-short = ❌ { $emails } { $emails ->
    [one] письмо не влезает
    [few] письма не влезают
   *[many] писем не влезают
} в { $weeks } { $weeks ->
    [one] неделю
    [few] недели
   *[many] недель
}: парк может отправить { $available }.
capacity-wait = По мере выпуска прогреваемых ящиков они влезут в { $weeks } { $weeks ->
    [one] неделю
    [few] недели
   *[many] недель
}, начиная с { $start }.
capacity-add = Для такого темпа не хватает { $per_day } в день → добавьте { $mailboxes } { $mailboxes ->
    [one] ящик
    [few] ящика
   *[many] ящиков
} на { $domains } { $domains ->
    [one] домене
   *[other] доменах
} ({ $mailbox_cap } в день на ящик, { $domain_cap } в день на домен; { $per_mailbox } { $per_mailbox ->
    [one] письмо
    [few] письма
   *[many] писем
} кампаний в день с ящика на полной доле). Новые ящики начнут слать кампании после прогрева в { $warmup_weeks } { $warmup_weeks ->
    [one] неделю
    [few] недели
   *[many] недель
}, полный объём — через { $full_weeks } { $full_weeks ->
    [one] неделю
    [few] недели
   *[many] недель
} (с { $full_on }): раньше они не помогут.
capacity-workspace-cap = Ограничивает и дневной лимит самого пространства: поднимите и его.
error-capacity-emails = «{ $value }» писем: число от 1 до { $high }.
error-capacity-weeks = «{ $value }» недель: число от 1 до { $high }.
arg-cost-set-name = цена
arg-cost-set-value = целые рубли или количество
arg-capacity-emails = писем
arg-capacity-weeks = недель
