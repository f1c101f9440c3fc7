## Оповещения: список, подтверждение, дайджест, чат агентства

cmd-alerts = открытые оповещения (all — во всех ваших пространствах)
cmd-ack = подтвердить оповещение: «принято, занимаемся»
cmd-agency-chat = получать в этом чате оповещения агентства (off — отключить)

button-ack = Принято
alert-heading = { $severity ->
    [critical] 🔴 Критично
    [warning] 🟠 Внимание
   *[other] ℹ️ К сведению
} · оповещение #{ $id }
alert-resolved-title = ✅ Решено · оповещение #{ $id }
alert-resolved = { $kind } ({ $subject }) больше не наблюдается. Повторов было: { $count }.
alert-worker-down = Ни один воркер не отмечался больше { $minutes } мин (последняя отметка: { $since }). Отправка, прогрев и проверки стоят. Проверьте процессы worker.
alert-queue-backlog = Очередь отправки отстаёт: { $count } писем ждут дольше { $minutes } мин. Воркеры не успевают или не отправляют.

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

agency-chat-bound = Этот чат получает оповещения агентства (без пространства: чёрные списки, воркеры, очередь).
agency-chat-already = Этот чат уже получает оповещения агентства.
agency-chat-unbound = Этот чат больше не получает оповещения агентства.
agency-chat-not-bound = Этот чат и не был подключён к оповещениям агентства.
error-agency-chat-limit = Чатов агентства не может быть больше { $limit }. Отключите лишний: /agency_chat off в нём.
