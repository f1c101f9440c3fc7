## Домены в чате.

domains-none = Доменов пока нет. Добавьте: /domain_add acme-mail.ru или пришлите CSV с командой /domain_add
domains-title = Домены ({ $count })
domains-line = { $name } — { $status }, { $pool }, DNS { $dns }, чёрные списки { $listed }, ящиков: { $mailboxes }, дней до продления: { $days }
domains-pool-active = активный
domains-pool-reserve = резерв
error-domain-add-empty = Укажите домены через пробел или пришлите CSV-файл (домен; регистратор; оплачен до; почта; пул). Пример: { $usage }
domain-add-result = Добавлено: { $added }, уже были: { $existing }, с ошибками: { $errors }.
domain-add-row-error = Строка { $line } ({ $value }): { $reason }
domain-facts = Статус: { $status } · пул: { $pool } · почта: { $provider } · регистратор: { $registrar } · оплачен до: { $expires }
    DMARC: { $dmarc } · DKIM-селектор: { $selector } · трекинг: { $tracking }
    Ящиков: { $mailboxes } · отправлено сегодня: { $sent }
domain-never-checked = DNS ещё не проверялся: /dns_check
domain-listed = 🚫 В чёрных списках: { $zones }
domain-not-listed = ✅ В чёрных списках не найден.
dns-plan-title = DNS-план { $domain }
dns-plan-unknown = DNS сейчас ответил не на все вопросы — сравнить с планом нельзя. Повторите позже.
dns-plan-diff = Отличий от плана: { $count }
dns-plan-in-sync = DNS совпадает с планом.
dns-apply-manual = Для { $domain } не настроен доступ к API DNS-хостинга. Внесите записи вручную:
dns-apply-nothing = { $domain } у { $host }: менять нечего, всё уже как в плане.
dns-apply-done = { $domain } у { $host }: применено изменений — { $calls }. Проверка: /dns_check
dns-apply-confirm = { $domain } у { $host }: будет изменений — { $calls }. Применить?
dns-apply-button = Применить
dns-check-drift = Изменились с прошлой проверки: { $records }
blacklist-blind = Эти списки сейчас не дают ответа — результат по ним неизвестен: { $zones }
dkim-set-done = DKIM для { $domain } сохранён: селектор { $selector }, ключ { $bits } бит.
zone-export-done = Файлы зон: { $count }.

cmd-domains = домены пространства
cmd-domain-add = добавить домены (списком или CSV)
cmd-domain = карточка домена
cmd-dns-plan = DNS-план домена и отличия от текущего DNS
cmd-dns-apply = применить DNS-план через API (с подтверждением)
cmd-dns-apply-confirm = подтвердить применение DNS-плана
cmd-dns-check = проверить DNS-записи
cmd-blacklist-check = проверить чёрные списки
cmd-dkim-set = сохранить DKIM-ключ домена
cmd-zone-export = выгрузить файлы зон
