## Домены: инвентарь, DNS-план и проверки, чёрные списки, сроки, DMARC, API регистраторов и почтовых провайдеров.

## Ошибки

error-domain-invalid = «{ $name }» не похоже на доменное имя. Пример: example.ru или пример.рф
error-domain-not-found = Домен { $name } не найден в этом рабочем пространстве.
error-domain-not-found-manage = Домен { $name } не найден в этом рабочем пространстве. Список: /domains
error-domain-gone = Этого домена (№{ $id }) больше нет в вашем рабочем пространстве — возможно, его уже удалили. Список: /domains
error-domain-retired = Домен { $name } уже выведен из работы.
error-domain-remove-changed = { $domain } изменился с тех пор, как вы спросили об удалении: ничего не сделано. Вот что удаление сделает теперь:
error-dns-apply-changed = Записи для { $domain } изменились с тех пор, как вы их просмотрели: ничего не записано. Вот что будет записано теперь:
error-domain-resume-changed = { $domain } уже не такой, каким был, когда вы спросили о возврате в работу: ничего не сделано. Вот что показывают проверки теперь:
error-domain-names-control = В списке доменов есть управляющие символы (строки { $lines }) — похоже, вставлен не текст. Напишите домены через пробел или пришлите CSV.
error-domain-set-field = Нельзя изменить «{ $field }». Можно: { $choices }. Пример: /domain_set acme-mail.ru provider yandex360
error-domain-set-provider = Почтовый провайдер «{ $value }» не знаком. Можно: { $choices }.
error-domain-set-registrar = Регистратор «{ $value }» не знаком. Можно: { $choices }.
error-domain-set-pool = Пул «{ $value }» не знаком: active (активный) или reserve (резерв).
error-domain-set-tracking = «{ $value }» не годится для трекинга: нужно имя внутри { $domain }, но не сам домен (на нём не может быть CNAME). Пример: t или t.{ $domain }
error-domain-workspace-unknown = Рабочее пространство для импорта не найдено.
error-domain-import-empty = В файле нет ни одной строки с доменом.
error-domain-import-too-large = Слишком много строк: за один раз можно добавить не больше { $limit } доменов. Разделите файл на части.
error-domain-import-conflict = Пока шёл импорт, часть этих доменов добавил кто-то другой. Повторите импорт — уже добавленные будут пропущены.
error-dkim-invalid = Это не DKIM-ключ: нужен открытый ключ в base64 (значение p=) или целиком запись «v=DKIM1; k=rsa; p=…».
error-dkim-weak-key = DKIM-ключ слишком короткий: { NUMBER($bits, useGrouping: 0) } { $bits ->
    [few] бита
   *[other] бит
}, почтовые сервисы требуют не меньше { NUMBER($minimum, useGrouping: 0) }. Сгенерируйте ключ 2048 бит.
error-dkim-selector-required = Укажите DKIM-селектор (например, mail): у этого почтового провайдера нет селектора по умолчанию.
error-dkim-selector-invalid = «{ $selector }» не подходит как DKIM-селектор: это имя перед ._domainkey (например, mail) — латинские буквы, цифры и дефис.
error-dmarc-step-not-approved = Шаг DMARC ещё не одобрен (состояние: { $status }).
error-provider-auth = { $provider } не принял логин, пароль или токен API. Проверьте учётные данные в настройках.
error-provider-forbidden = { $provider }: у учётной записи API нет прав на это действие.
error-provider-domain-not-found = { $provider } не знает этот домен (или он не на его DNS-серверах).
error-provider-conflict = { $provider }: объект уже существует или изменён кем-то другим. Обновите данные и повторите.
error-provider-rate-limited = { $provider } ограничил частоту запросов. Повторите позже — Mailfleet сам отправляет запросы не чаще лимита.
error-provider-unavailable = { $provider } сейчас недоступен (сеть или ошибка сервера). Попробуйте позже.
error-provider-bad-response = { $provider } ответил в неожиданном формате. Попробуйте позже; если повторится — сообщите в поддержку.
error-provider-failed = { $provider } отказал в запросе (код { $code }).
error-regru-ip-denied = REG.RU не принимает запросы API с этого IP-адреса. Добавьте адрес сервера Mailfleet в настройках API в личном кабинете REG.RU (применяется 5–30 минут).
error-regru-billing-lock = REG.RU: операция по счёту уже выполняется. Повторите через минуту.

## Импорт доменов: причины пропуска строки

domain-import-bad-name = не похоже на доменное имя
domain-import-too-long = слишком длинно для доменного имени: не больше { $limit }
domain-import-duplicate = повтор: этот домен уже есть в строке { $line }
domain-import-bad-registrar = регистратор «{ $value }» не знаком; известные: { $choices }
domain-import-bad-date = дата «{ $value }» не распознана: нужна ГГГГ-ММ-ДД или ДД.ММ.ГГГГ
domain-import-bad-provider = почтовый провайдер «{ $value }» не знаком: yandex360, mailru или generic
domain-import-bad-pool = роль «{ $value }» не знакома: active (активный) или reserve (резерв)
domain-import-extra-column = лишнее значение «{ $value }» после колонки { $columns }, последней (имя, регистратор, срок, почтовый провайдер, роль или те, что названы в заголовке): уберите его или перенесите в свою колонку
domain-import-other-workspace = домен уже принадлежит другому рабочему пространству

## Записи DNS и вердикты

dns-record-mx = MX
dns-record-spf = SPF
dns-record-dkim = DKIM
dns-record-dmarc = DMARC
dns-record-tracking = Трекинг (CNAME)
dns-verdict-ok = в порядке
dns-verdict-missing = нет записи
dns-verdict-mismatch = не совпадает с планом
dns-verdict-invalid = запись с ошибкой
dns-verdict-duplicate = несколько записей вместо одной
dns-verdict-nxdomain = домен не существует в DNS
dns-verdict-servfail = DNS-сервер ответил ошибкой
dns-verdict-timeout = DNS-сервер не ответил

## Почему такой вердикт

dns-problem-missing = Запись не найдена.
dns-problem-missing-alias = Запись не найдена: имя — псевдоним (CNAME) для { $alias }, а там нет записи { $type }.
dns-problem-duplicate = Найдено записей: { $count }, а должна быть одна — почтовые серверы считают это ошибкой.
dns-problem-timeout = Состояние записи неизвестно; проверим ещё раз.
dns-problem-servfail = SERVFAIL или отказ: состояние записи неизвестно.
dns-problem-refused = REFUSED: сервер не обслуживает эту зону или не принимает наши запросы; состояние записи неизвестно.
dns-problem-truncated = Ответ не поместился в UDP, а по TCP до DNS-сервера достучаться не удалось (часто TCP-порт 53 закрыт файрволом): состояние записи неизвестно.
dns-problem-nxdomain = Не делегирован или истёк срок регистрации.
dns-problem-nxdomain-below = У имени { $name } пока нет ни одной записи: это имя внутри домена { $domain }, и там ещё ничего не опубликовано. Добавьте записи у DNS-хостинга { $domain }.
dns-problem-mx-differs = MX указывают не туда: нужно { $expected }.
dns-problem-mx-null = «Нулевой» MX («0 .»): домен объявляет, что не принимает почту — ответы и отказы до него не дойдут, а получатели вправе отклонять письма с такого домена. Нужно { $expected }.
dns-problem-mx-alias = MX указывает на псевдоним (CNAME): { $aliases }. MX должна называть сам почтовый сервер (RFC 2181), иначе часть отправителей не доставит почту. Нужно { $expected }.
dns-problem-tag-syntax = Ошибка синтаксиса в «{ $tag }»: нужен вид тег=значение.
dns-problem-tag-repeated = Тег { $tag } повторяется.
dns-problem-spf-not-spf = Запись не начинается с v=spf1.
dns-problem-spf-unknown-term = Неизвестный элемент SPF: «{ $term }».
dns-problem-spf-bad-term = Ошибка в элементе SPF: «{ $term }».
dns-problem-spf-modifier-repeated = Модификатор { $modifier } указан больше одного раза.
dns-problem-spf-after-all = Элементы после «all» никогда не проверяются.
dns-problem-spf-too-many-lookups = SPF требует { $count } { $count ->
    [one] DNS-запрос
    [few] DNS-запроса
   *[many] DNS-запросов
}, а допустимо не больше { $limit }: получатели сочтут SPF ошибочным. Уберите лишние include.
dns-problem-spf-void-lookups = SPF ссылается на имена, где ничего нет (нет такого имени или записей нужного типа): { $terms } — { $count } { $count ->
    [one] «пустой» DNS-запрос
    [few] «пустых» DNS-запроса
   *[many] «пустых» DNS-запросов
}, а допустимо не больше { $limit }: получатели сочтут SPF ошибочным (permerror). Уберите устаревшие имена.
dns-problem-spf-unresolved = Не удалось прочитать SPF домена { $domain } из include; число запросов посчитано без него.
dns-problem-spf-include-none = У домена { $domain } из include или redirect нет SPF-записи: получатели сочтут весь SPF ошибочным (permerror).
dns-problem-spf-include-several = У домена { $domain } из include или redirect несколько SPF-записей вместо одной: получатели сочтут весь SPF ошибочным (permerror).
dns-problem-spf-include-invalid = SPF-запись домена { $domain } из include или redirect с ошибкой синтаксиса: получатели сочтут весь SPF ошибочным (permerror).
dns-problem-spf-no-include = В SPF нет include:{ $include } — письма провайдера не пройдут проверку SPF.
dns-problem-spf-pass-all = SPF заканчивается на «{ $term }»: отправлять письма от имени домена может любой сервер в интернете — такая запись ничего не защищает, и спам-фильтры её штрафуют. Нужно ~all или -all.
dns-problem-spf-neutral-all = SPF заканчивается на «{ $term }»: письма с чужих серверов получают «нейтральный» результат и не отклоняются. Лучше ~all или -all.
dns-problem-spf-no-all = В SPF нет «all» в конце: письма с чужих серверов получают «нейтральный» результат и не отклоняются. Лучше добавить ~all или -all.
dns-problem-dkim-version = Тег v должен быть первым и равняться DKIM1.
dns-problem-dkim-key-type = Тип ключа «{ $type }» не поддерживается: rsa или ed25519.
dns-problem-dkim-no-key = В записи нет открытого ключа (тег p=).
dns-problem-dkim-revoked = Ключ отозван (пустой p=): подписи этим селектором не проходят.
dns-problem-dkim-bad-key = Открытый ключ не читается: повреждён base64 или это не ключ.
dns-problem-dkim-weak-key = Ключ { NUMBER($bits, useGrouping: 0) } { $bits ->
    [few] бита
   *[other] бит
}: почтовые сервисы требуют не меньше { NUMBER($minimum, useGrouping: 0) }.
dns-problem-dkim-short-key = Ключ { NUMBER($bits, useGrouping: 0) } { $bits ->
    [few] бита
   *[other] бит
}: допустимо, но рекомендуется { NUMBER($recommended, useGrouping: 0) }.
dns-problem-dkim-other-key = Опубликован другой ключ, не тот, которым подписывает провайдер.
dns-problem-dmarc-version = Запись должна начинаться с v=DMARC1.
dns-problem-dmarc-policy = Политика p=«{ $value }» неверна: none, quarantine или reject.
dns-problem-dmarc-no-policy = В записи нет политики (тег p=): нужно p=none, p=quarantine или p=reject.
dns-problem-dmarc-tag = Неверное значение тега { $tag }: «{ $value }».
dns-problem-dmarc-no-rua = Нет адреса для отчётов (rua): вы не увидите, кто шлёт от имени домена.
dns-problem-dmarc-rua-unauthorized = Отчёты DMARC уходят на другой домен ({ $domain }), но он их не принимает: нет записи { $record } TXT «v=DMARC1». Получатели не будут слать отчёты.
dns-problem-dmarc-rua-unchecked = Отчёты DMARC уходят на другой домен ({ $domain }); проверить, принимает ли он их (запись { $record }), не удалось: DNS не ответил.
dns-problem-dmarc-policy-differs = Опубликована политика { $found }, а по плану — { $expected }.
dns-problem-dmarc-pct = pct={ $pct }: p={ $policy } действует на { $pct } % писем, не прошедших DMARC; к остальным применяется p={ $rest }.
dns-problem-tracking-differs = Трекинговый адрес указывает не туда: нужно { $expected }.
dns-problem-tracking-not-cname = У трекингового адреса вместо CNAME запись { $found }: нужна CNAME на { $expected }, а ту запись удалите (CNAME рядом с другими записями DNS не допускает).
dns-problem-tracking-chain = Трекинговый адрес ведёт к цели через цепочку CNAME ({ $chain }): работает, но каждое звено нужно держать в порядке.
dns-problem-tracking-chain-elsewhere = Трекинговый адрес через цепочку CNAME ({ $chain }) ведёт не туда: нужно { $expected }.
dns-note-spf-unknown = Для этого почтового провайдера нет шаблона SPF: добавьте include своего сервера вручную.
dns-note-dkim-key-unknown = DKIM-ключ для селектора { $selector } ещё не получен: возьмите его в панели провайдера или через API.
dns-note-dkim-selector-unknown = DKIM-селектор не задан: укажите его вместе с ключом.
dns-note-provider-unknown = Почтовый провайдер { $domain } не задан, поэтому MX, SPF и DKIM в плане нет. Укажите его: /domain_set { $domain } provider yandex360 (или mailru, generic).
dns-note-dmarc-adopted = В DNS уже опубликована более строгая политика DMARC (p={ $policy }): план её сохраняет и не ослабляет.
dns-note-dkim-aliased = { $name } — псевдоним (CNAME) { $target }: DKIM-ключ там публикует почтовый провайдер, поэтому план оставляет псевдоним и не пишет рядом ключ (DNS-хостинги это запрещают).
dns-note-dmarc-aliased = { $name } — псевдоним (CNAME) { $target }: DMARC публикуется там, поэтому план оставляет псевдоним и не пишет рядом запись DMARC (DNS-хостинги это запрещают). Чтобы Mailfleet публиковал DMARC сам, удалите псевдоним.

## Состояние проверок

dns-state-bad = есть ошибки
dns-state-ok = в порядке
dns-state-partial = проверено не всё
dns-state-unknown = не проверено
dns-csv-domain = Домен
dns-csv-state = Состояние
dns-csv-why = Причины

## Чёрные списки (DNSBL)

dnsbl-result-listed = в списке
dnsbl-result-clean = нет в списке
dnsbl-result-error = проверка не удалась
dnsbl-code-sbl = Spamhaus SBL: источник спама
dnsbl-code-css = Spamhaus CSS: массовая рассылка с многих адресов
dnsbl-code-xbl = Spamhaus XBL: заражённый или взломанный узел
dnsbl-code-drop = Spamhaus DROP: сеть под контролем спамеров
dnsbl-code-pbl = Spamhaus PBL: адрес не должен слать почту напрямую
dnsbl-code-bcl = Spamhaus BCL: управляющий сервер ботнета
dnsbl-code-dbl-spam = Spamhaus DBL: домен с плохой репутацией (спам)
dnsbl-code-dbl-phish = Spamhaus DBL: фишинг
dnsbl-code-dbl-malware = Spamhaus DBL: вредоносное ПО
dnsbl-code-dbl-botnet = Spamhaus DBL: управление ботнетом
dnsbl-code-dbl-abused = Spamhaus DBL: взломанный законный домен
dnsbl-code-uribl-black = URIBL black: домен в спаме
dnsbl-code-uribl-grey = URIBL grey: домен в массовых рассылках
dnsbl-code-uribl-red = URIBL red: недавно замечен в спаме
dnsbl-code-surbl-phish = SURBL: фишинг
dnsbl-code-surbl-malware = SURBL: вредоносное ПО
dnsbl-code-surbl-abuse = SURBL: спам и злоупотребления
dnsbl-code-surbl-cracked = SURBL: взломанный сайт
dnsbl-code-barracuda = Barracuda: адрес в списке
dnsbl-code-spamcop = SpamCop: на адрес жаловались получатели
dnsbl-code-unknown = в списке, код ответа не описан
dnsbl-error-refused = список отказался отвечать (частый случай — запрос через публичный DNS); проверка «слепая»
dnsbl-error-public-resolver = Spamhaus не отвечает публичным DNS-резолверам: нужен свой резолвер или ключ DQS
dnsbl-error-excessive = Spamhaus: превышен лимит запросов; нужен ключ DQS
dnsbl-error-typo = Spamhaus: ошибка в имени зоны или ключе DQS
dnsbl-error-ip-in-domain-list = в доменный список отправлен IP-адрес
dnsbl-error-unexpected = список вернул непонятный ответ
dnsbl-error-timeout = список не ответил вовремя
dnsbl-error-test-point = список не находит даже свою тестовую запись: его «не в списке» ничего не значит (часто — запрос через публичный DNS); проверка «слепая»
dnsbl-error-servfail = DNS-сервер вернул ошибку при запросе к списку

## Оповещения и DMARC

alert-dns-drift = DNS-запись { $record } домена { $domain } изменилась или исчезла. Было: { $before } Стало: { $after }
alert-blacklist-listed = { $target } попал в чёрный список { $zone }: { $meaning } (код { $code }). Домен переведён на охлаждение, рассылки с него приостановлены.
alert-domain-resumed = Домен { $domain } снова в работе: { $how ->
        [hand] его вернули вручную
       *[other] все причины охлаждения ушли — все чёрные списки ответили «не в списке», все DNS-записи верны, замену не ждём
    }. Рассылки с его ящиков возобновятся.
error-resume-not-cooling = Домен { $domain } не на остывании (сейчас: { $state }): возвращать нечего.
error-resume-listed = Домен { $domain } всё ещё в чёрном списке: { $zones }. Вернуть его в работу можно после исключения из списка.
error-resume-swap-waiting = Для домена { $domain } ждёт решения замена на резервный. Сначала отклоните её или дождитесь её применения.
alert-dnsbl-blind = Проверка по списку { $zone } не работает с { $since }: { $reason ->
        [timeout] список не отвечает вовремя
        [test-point] список не находит даже свою тестовую запись — его «не в списке» ничего не значит (часто — запросы через публичный DNS)
        [public-resolver] Spamhaus не отвечает публичным DNS-резолверам — нужен свой резолвер или ключ DQS
        [excessive] превышен лимит запросов — нужен ключ DQS
        [refused] список отказывается отвечать (часто — запросы через публичный DNS)
        [servfail] DNS-сервер возвращает ошибку
       *[other] список возвращает непонятный ответ
    }. Домены по этому списку — «не проверено», а не «чисто».
alert-dns-blind = Проверки DNS не работают: резолверы { $resolvers } (DNS_RESOLVERS) не дали ответа ни по одной записи у { $blind } из { $total } { $total ->
        [one] домена
       *[other] доменов
    }: { $reason ->
        [timeout] они не отвечают вовремя
        [refused] они отказываются отвечать (REFUSED)
        [truncated] большие ответы не доходят по TCP
       *[servfail] они возвращают ошибку (SERVFAIL)
    }. Пока они не ответят, записи доменов — «не проверено», а изменения DNS никто не заметит: защита от них не работает. Проверьте резолверы или настройку DNS_RESOLVERS.
alert-domain-expiry = Домен { $domain } истекает { $expires_on } (осталось дней: { $days_left }). Продлите его у регистратора.
dmarc-step-proposal = Домен { $domain } { $days ->
    [0] чист весь проверочный срок
   *[other] чист уже { $days } дн.
}: SPF, DKIM и DMARC верны, в чёрных списках его нет, письма не отклонялись из-за проверки подлинности. Ужесточить DMARC с { $from } до { $to }? Будет опубликовано: { $value }
dmarc-step-set-record = Опубликуйте запись: { $name } TXT «{ $value }». Затем проверьте: /dns_check { $domain }
dmarc-step-set-aliased = { $alias } — псевдоним (CNAME) { $name }, поэтому запись меняется там: { $name } TXT «{ $value }». Затем проверьте: /dns_check { $domain }
dmarc-step-sent = Запись { $name } TXT «{ $value }» отправлена DNS-хостингу; в DNS её пока не видно (изменения появляются не сразу). Проверьте позже: /dns_check { $domain }
dmarc-step-sent-unchecked = Запись { $name } TXT «{ $value }» отправлена DNS-хостингу; видна ли она в DNS, проверить не удалось: DNS не ответил. Проверьте позже: /dns_check { $domain }
dmarc-step-applied = DMARC домена { $domain } теперь { $policy }: запись видна в DNS.
error-dmarc-step-superseded = { $domain } уже публикует p={ $current } — не мягче одобренного p={ $to }: ничего не изменено (политику никогда не ослабляем).
