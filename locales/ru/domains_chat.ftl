## Домены в чате.

domains-none = Доменов пока нет. Добавьте: /domain_add acme-mail.ru или пришлите CSV с командой /domain_add
domains-title = Домены ({ $count })
domains-line = { $name } — { $status } · пул: { $pool } · почта: { $provider }, DNS { $dns }, чёрные списки { $listed }, ящиков: { $mailboxes }, дней до продления: { $days }
domains-legend = ✅ в порядке · ⚠️ в порядке, с предупреждениями · ❌ ошибки DNS · 🚫 в чёрном списке · ◐ проверено не всё · ❔ не проверено
domains-pool-active = активный
domains-pool-reserve = резерв
domains-pool-none = нет
error-domain-add-empty = Укажите домены через пробел, запятую или точку с запятой или пришлите CSV-файл (домен; регистратор; оплачен до; почта; пул). Пример: { $usage }
domain-add-result = Добавлено: { $added }, уже были: { $existing }, с ошибками: { $errors }.
domain-add-row-error = Строка { $line } ({ $value }): { $reason }
domain-add-detected = Почтовый провайдер по MX: { $list }
domain-add-provider-unknown = Почтовый провайдер не определён (MX не указывает на известного провайдера или DNS не ответил): { $domains }. Укажите его: /domain_set <домен> provider yandex360 (или mailru, generic) — до этого в DNS-плане нет MX, SPF и DKIM.
domain-provider-unset = не задана
domain-facts = Статус: { $status } · пул: { $pool } · почта: { $provider } · регистратор: { $registrar } · оплачен до: { $expires }
    DMARC: { $dmarc } · DKIM-селектор: { $selector } · трекинг: { $tracking }
    Ящиков: { $mailboxes } · отправлено сегодня: { $sent }
domain-never-checked = DNS ещё не проверялся: /dns_check
domain-listed = 🚫 В чёрных списках: { $zones } — с { $since }.
domain-not-listed = ✅ Ни в одном чёрном списке не найден (все списки ответили, { $when }).
domain-bl-partial = ◐ В ответивших списках не найден, но { $zones } не проверены: { $why } ({ $when }).
domain-bl-unknown = ❔ Чёрные списки не проверены с { $since }: { $why }. Это не значит «чисто».
domain-bl-never = ❔ Чёрные списки ещё не проверялись: /blacklist_check
domain-bl-also-unchecked = Не проверены: { $zones } — { $why }.
domain-dns-unknown = ❔ DNS не удалось проверить с { $since }: { $why }. Это не значит ни «в порядке», ни «записей нет».
domain-dns-partial = ◐ Часть записей не удалось проверить ({ $records }): { $why }.
dns-plan-title = DNS-план { $domain }
dns-plan-unknown = DNS сейчас ответил не на все вопросы — сравнить с планом нельзя. Повторите позже.
dns-plan-diff = Отличий от плана: { $count }
dns-plan-in-sync = DNS совпадает с планом.
dns-apply-manual = Для { $domain } не настроен доступ к API DNS-хостинга. Внесите записи вручную:
dns-apply-nothing = { $domain } у { $host }: менять нечего, всё уже как в плане.
dns-apply-done = { $domain } у { $host }: записей изменено — { $count }. Проверка: /dns_check
dns-apply-confirm = { $domain } у { $host }: будут записаны такие записи ({ $count }). Применить?
dns-apply-add = + добавить { $type } { $name } { $value }
dns-apply-change = ~ изменить { $type } { $name }: { $old } → { $value }
dns-apply-remove = − удалить { $type } { $name } { $value }
dns-apply-button = Применить
dns-check-drift = Изменились с прошлой проверки: { $records }
dns-check-fixed = Исправлены с прошлой проверки: { $records }
dns-check-summary = Проверено доменов: { $total }. В порядке: { $ok } · с ошибками: { $bad } · проверено не всё: { $partial } · не проверено: { $unknown }. Результат по каждому домену — в файле.
blacklist-check-summary = Проверено доменов: { $total }. В чёрных списках: { $bad } · чисто: { $ok } · проверено не всё: { $partial } · не проверено: { $unknown }.
dns-check-worst = Хуже всего:
dns-check-worst-line = { $domain } — { $state }: { $records }
domain-set-done = { $domain }: { $field } { $before } → { $after }.
domain-field-provider = почта
domain-field-registrar = регистратор
domain-field-pool = пул
domain-field-tracking = трекинг
domain-remove-confirm-delete = Удалить { $domain }? Ящиков и истории у него нет: домен будет удалён вместе с результатами проверок.
domain-remove-confirm-retire = У { $domain } есть история (ящиков: { $mailboxes }), поэтому он будет выведен из работы, а не удалён: рассылки с него прекратятся, история останется. Вывести из работы?
domain-remove-button = Удалить
domain-remove-deleted = { $domain } удалён.
domain-remove-retired = { $domain } выведен из работы; история сохранена.
domain-resume-confirm = Вернуть домен { $domain } с остывания в работу? Рассылки с его ящиков возобновятся. Что показали последние проверки:
domain-resume-dns-bad = Ошибки DNS: { $records }. Письма с таким DNS могут попадать в спам.
domain-resume-button = Вернуть в работу
domain-resume-done = Домен { $domain } снова в работе: рассылки с его ящиков возобновятся.
dkim-set-done = DKIM для { $domain } сохранён: селектор { $selector }, ключ { NUMBER($bits, useGrouping: 0) } { $bits ->
    [few] бита
   *[other] бит
}.
zone-export-done = Файлы зон: { $count } — одним архивом.
zone-export-one = Файл зоны { $domain }: { $file }.

cmd-domains = домены пространства
cmd-domain-add = добавить домены (списком или CSV)
cmd-domain = карточка домена
cmd-dns-plan = DNS-план домена и отличия от текущего DNS
cmd-dns-apply = применить DNS-план через API (с подтверждением)
cmd-dns-apply-confirm = подтвердить применение DNS-плана
cmd-dns-check = проверить DNS-записи
cmd-blacklist-check = проверить чёрные списки
cmd-dkim-set = сохранить DKIM-ключ домена
cmd-zone-export = выгрузить файлы зон (все — одним архивом)
cmd-domain-set = изменить настройку домена: provider, registrar, pool, tracking
cmd-domain-remove = удалить домен (с историей — вывести из работы)
cmd-domain-remove-confirm = подтвердить удаление домена
cmd-domain-resume = вернуть домен с остывания в работу (с подтверждением)
cmd-domain-resume-confirm = подтвердить возврат домена в работу
registrar-regru = REG.RU
registrar-nicru = RU-CENTER
registrar-timeweb = Timeweb
registrar-selectel = Selectel
registrar-beget = Beget
registrar-r01 = R01
registrar-other = другой
