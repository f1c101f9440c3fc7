# Резерв доменов и замены (engine/domains/reserve.py, engine/domains/swap.py, bot/handlers/reserve.py)

cmd-reserve = резерв доменов: готовые и прогреваемые резервные домены и что нужно, если их не хватает
cmd-approvals = запросы, которые ждут вашего решения, с кнопками

approval-domain-swap = Домен { $domain } выгорел. Заменить его резервным { $replacement } (прогретых ящиков: { $replacement_mailboxes })? { $campaigns ->
    [0] Ни одна кампания его не использует.
   *[other] Переедут кампании: { $campaigns } ({ $campaign_names }); активных цепочек, которые продолжатся с новых ящиков: { $leads }; ящики { $domain } ({ $mailboxes }) будут выведены из работы.
}{ $renews ->
    [0] {""}
   *[other] {" "}Это повторный запрос: на запрос #{ $renews } никто не ответил, пока он действовал, а домен всё ещё остановлен.
}
alert-reserve-empty = Домен { $domain } нужно заменить, но в резерве нет готового домена (кампаний на нём: { $campaigns }). { $warming ->
    [0] Чтобы он появился: купить домен и прогреть его, примерно { $buy_weeks } нед.
   *[other] Резервных доменов в прогреве: { $warming }; первый может быть готов примерно через { $warming_weeks } нед.
}{ $offered ->
    [some] {" "}Готовый резерв уже предложен в другом запросе: { $offered_to }. Если тот запрос отклонят, запросите замену снова: /swap { $domain }
   *[none] {""}
}

swap-applied = Готово: { $domain } → { $replacement }. Кампаний перенесено: { $campaigns }{ $campaigns ->
    [0] {""}
   *[other] {" "}({ $names })
}; активных цепочек продолжатся с ящиков { $replacement } ({ $boxes }): { $moved } (следующее письмо начнёт новую ветку); запланированных отправок снято со старых ящиков и будет запланировано заново: { $replanned }. Домен { $domain } и его ящики ({ $retired }) выведены из работы.
swap-already-applied = Замена { $domain } → { $replacement } уже выполнена (запрос #{ $id }).
error-swap-not-approved = Запрос #{ $id } в состоянии «{ $status }», а не одобрен: ничего не перенесено.
error-swap-replacement-unusable = Резервный домен { $domain } больше не может заменить выгоревший ({ $reason ->
    [taken] он больше не в резерве: его уже взяла в работу другая замена
    [listed] он попал в чёрный список
    [dns_bad] его DNS-записи неверны
   *[other] он не отправляет или у него нет прогретых ящиков
}). Ничего не перенесено; проверьте резерв командой /reserve.
swap-recovered = Запрос #{ $id } больше не действует: { $domain } теперь нет в чёрных списках и его DNS-записи верны, поэтому он вернулся в работу и ничего не перенесено.
swap-reserve-freed = { $replacement } снова свободен: он предложен на замену { $domain }, который ждёт резерва (запрос #{ $id }).
swap-stale = Запрос #{ $id } больше не действует: резервный домен { $replacement } теперь не может заменить выгоревший ({ $reason ->
    [taken] он больше не в резерве: его уже взяла в работу другая замена
    [listed] он попал в чёрный список
    [dns_bad] его DNS-записи неверны
   *[other] он не отправляет или у него нет прогретых ящиков
}). Ничего не перенесено.

reserve-title = Резерв доменов
reserve-title-agency = Резерв доменов агентства
reserve-pool = Из { $total } { $total ->
    [one] домена
   *[other] доменов
}: активных { $active }, готовых в резерве { $ready }, прогреваются в резерве { $warming }, остывают { $cooling }, выгорели в этом месяце { $burned }.
reserve-workspace = { $workspace }: активных { $active }, готовых { $ready }, в прогреве { $warming }, выгорели в этом месяце { $burned }
reserve-no-domains = В пространстве ещё нет доменов — резерва нет и считать его не из чего. Добавьте домены: /domain_add, запасные отметьте: /domain_set <домен> pool reserve.
reserve-no-domains-agency = В агентстве ещё нет доменов — резерва нет и считать его не из чего. Добавьте домены в пространствах: /domain_add.
reserve-enough = Резерва достаточно: готовых { $ready } из желаемых { $target }.
reserve-short = Не хватает готовых резервных доменов: { $missing } (желательно { $target }).
reserve-short-warming = В пути: { $warming } в прогреве, первый будет готов примерно через { $weeks } нед.
reserve-short-buy = Купить доменов: { $buy }; они будут готовы примерно через { $weeks } нед. (DNS, ящики и прогрев).
reserve-line-ready = ✅ { $domain }: готов, прогретых ящиков { $graduated }, доставляемость { $placement }
reserve-line-offered = { " " }· предложен в запросе на замену { $request }
reserve-line-warming = ⏳ { $domain }: не готов ({ $reasons }), осталось примерно { $weeks } нед.
reserve-placement-none = ещё не измерена
reserve-not-ready-status = ещё не отправляет
reserve-not-ready-dns-unchecked = DNS не проверен
reserve-not-ready-dns-bad = записи DNS неверны
reserve-not-ready-dns-unknown = DNS не удалось проверить
reserve-not-ready-listed = в чёрном списке
reserve-not-ready-blacklist-unknown = чёрные списки не удалось проверить
reserve-not-ready-no-graduated = нет прогретых ящиков

approvals-none = Нет запросов, ждущих решения.
approvals-title = Ждут решения: { $count }
approvals-more = … и ещё { $count }: это самые старые запросы; решите их, и /approvals покажет следующие.
approvals-item = { $workspace ->
    [none] {""}
   *[other] { $workspace } ·{" "}
}#{ $id } · { $kind } · { $subject } · запрошено { $asked }, истекает { $expires }
approval-kind-domain-swap = замена домена
approval-kind-dmarc-step = шаг DMARC
approval-kind-dns-apply = план DNS
error-swap-domain-retired = Домен { $domain } уже выведен из работы: заменять нечего.

cmd-swap = предложить замену остывающего или выгоревшего домена лучшим готовым резервным
swap-proposed = Запрос #{ $id } на замену создан (кнопки ниже и в чатах оповещений).
swap-reused = Запрос #{ $id } по этому домену уже ждёт решения.
swap-not-needed = Домен { $domain } в состоянии «{ $status }»: заменяют только остывающий или выгоревший домен.
swap-not-needed-reserve = { $domain } — резервный домен, и ни одна кампания с него не отправляет: заменять нечего.
arg-swap-domain = домен
