## Оповещения: список, подтверждение, дайджест, чат агентства

cmd-alerts = открытые оповещения (all — во всех ваших пространствах)
cmd-ack = подтвердить оповещение: «принято, занимаемся»
arg-ack-id = номер оповещения
cmd-agency-chat = получать в этом чате оповещения агентства (off — отключить)

button-ack = Принято
alert-heading = { $severity ->
    [critical] 🔴 Критично
    [warning] 🟠 Внимание
   *[other] ℹ️ К сведению
} · оповещение #{ $id }
alert-resolved-title = ✅ Решено · оповещение #{ $id }
alert-resolved = { $kind } ({ $subject }) больше не наблюдается. Повторов было: { $count }.
alert-resolved-resumed = { $kind } ({ $subject }): менеджер возобновил отправку.
alert-resolved-settled = { $kind } ({ $subject }): по более поздним письмам или действиям получателя (ответ, отказ, открытие, переход или отписка) видно, что все отправки, о которых шла речь, ушли; они засчитаны как отправленные.
alert-resolved-no-longer-read = { $kind } ({ $subject }): ящик отключён, и его входящие больше не читаются (месяц чтения ради ответов на отправленное истёк или IMAP-сервер отказал во входе), поэтому оповещение закрыто. Ответы на этот ящик теперь видны только в его почте; /mailbox_resume вернёт ящик в работу, если он ещё нужен.
alert-worker-down = Ни один воркер не отмечался больше { $minutes } мин (последняя отметка: { $since }). Отправка, прогрев и проверки стоят. Проверьте процессы worker.
alert-queue-backlog = Очередь отправки отстаёт: { $count } { $count ->
    [one] письмо ждёт
    [few] письма ждут
   *[many] писем ждут
} дольше { $minutes } мин. Воркеры не успевают или не отправляют.

alerts-digest-title = Ещё { $count } { $count ->
    [one] оповещение
    [few] оповещения
   *[other] оповещений
}: { $kinds }
alerts-digest-kind = • { $kind }: { $count } — { $subjects }{ $more ->
    [0] {""}
   *[other] {" "}и ещё { $more }
}
alerts-digest-other = • других видов: { $count }
alerts-digest-resolved = ✅ Решено: { $count }
alerts-digest-hint = Полный список: /alerts

alerts-none = Открытых оповещений нет.
alerts-title = Оповещения: { $total } (открыто { $open }, принято { $acked })
alerts-line = #{ $id } { $kind } · { $subject } · { $workspace } · ×{ $count }, уже { $age }, последнее { $last } назад
alerts-line-acked = #{ $id } { $kind } · { $subject } · { $workspace } · ×{ $count }, уже { $age }, последнее { $last } назад · принято: { $who }
alerts-agency = агентство
alerts-age = { $n } { $unit ->
    [m] мин
    [h] ч
   *[d] дн
}
alert-acked = Оповещение #{ $id } ({ $kind }, { $subject }) принято. Повторы считаются, но не присылаются, пока проблема не уйдёт.

error-alert-not-found = Оповещение #{ $id } не найдено.
error-alert-acked = Оповещение #{ $id } уже принято: { $who }.
error-alert-resolved = Оповещение #{ $id } уже решено.

agency-chat-bound = Этот чат получает оповещения агентства (без пространства: чёрные списки и проверки DNS, воркеры, очередь).
agency-chat-already = Этот чат уже получает оповещения агентства.
agency-chat-unbound = Этот чат больше не получает оповещения агентства.
agency-chat-not-bound = Этот чат и не был подключён к оповещениям агентства.
error-agency-chat-client = Это чат клиента: оповещения агентства называют все пространства, а клиент не должен видеть ничего о чужих. Выполните /agency_chat в чате самого агентства.
error-agency-chat-limit = Чатов агентства не может быть больше { $limit }. Отключите лишний: /agency_chat off в нём.

## Виды оповещений: как их называют списки, сводки и отчёты
alert-kind-blacklist_listed = чёрный список
alert-kind-dns_drift = DNS изменился
alert-kind-dnsbl_blind = проверка чёрных списков не работает
alert-kind-dns_blind = проверка DNS не работает
alert-kind-domain_expiry = срок домена истекает
alert-kind-mailbox_auth_disabled = ящик отключён: неверный пароль
alert-kind-queue_backlog = очередь отправки отстаёт
alert-kind-reserve_empty = резерв доменов пуст
alert-kind-domain_resumed = домен снова в работе
alert-kind-send_unknown = судьба письма неизвестна
alert-kind-sending_paused = отправка приостановлена
alert-kind-worker_down = воркер не отвечает
alert-kind-mailbox_cooldown = ящик на паузе
alert-kind-volume_cut = объём снижен
alert-kind-mailbox_disabled = ящик отключён
alert-kind-engagement_drop = падение вовлечённости
alert-kind-inbox_unreachable = входящие не читаются
alert-kind-inbox_unreadable_disabled = входящие отключённого ящика не читаются
alert-kind-smtp_unreachable = письма не уходят
alert-kind-chat_unreachable = чат недоступен
