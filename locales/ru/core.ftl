## Общие сообщения: ошибки, вход, помощь, рабочие пространства, приглашения, участники, чаты.

error-unknown-command = Не знаю команду /{ $command }. Список команд: /help
error-unknown-command-slack = Не знаю команду /mailfleet { $command }. Список команд: /mailfleet help
error-unknown-command-near = Не знаю команду /{ $command }. Может быть, /{ $near }? Список команд: /help
error-unknown-command-near-slack = Не знаю команду /mailfleet { $command }. Может быть, /mailfleet { $near }? Список команд: /mailfleet help
error-not-registered = Вы ещё не подключены к Mailfleet. Попросите менеджера агентства прислать код приглашения и отправьте: /start <код>
error-forbidden = Ваша роль не позволяет запускать /{ $command }. Что вам доступно, покажет /help.
error-internal = Что-то пошло не так. Мы уже записали ошибку; код для поддержки: { $ref }
error-unavailable = Служба, без которой Mailfleet не работает (база данных или Redis), сейчас не отвечает; ничего не изменено. Повторите через минуту. Номер для поддержки: { $ref }
error-arg-missing = Не хватает аргумента «{ $arg }» для /{ $command }. Пример: { $usage }
error-file-missing = Для /{ $command } нужен файл «{ $arg }»: пришлите его документом (например, CSV). Пример: { $usage }
error-arg-not-int = «{ $value }» — не число (аргумент «{ $arg }» команды /{ $command }). Пример: { $usage }
error-arg-choice = «{ $value }» не подходит для «{ $arg }» команды /{ $command }: выберите одно из: { $choices }. Пример: { $usage }
error-arg-extra = Лишние аргументы для /{ $command }: { $extra }. Пример: { $usage }
error-arg-too-long = «{ $value }» слишком длинно для «{ $arg }» в /{ $command }: длина { $length } при пределе { $limit }. Пример: { $usage }
error-arg-int-range = «{ $value }» не подходит для «{ $arg }» в /{ $command }: нужно число от { $min } до { $max }. Пример: { $usage }
error-arg-control = В «{ $arg }» команды /{ $command } есть управляющий символ (позиция { $position }): наберите значение обычным текстом. Пример: { $usage }
error-text-too-long = Сообщение слишком длинное для команды: длина { $length } при пределе { $limit }. Длинные списки присылайте файлом.
error-illegal-transition = { $machine }: нельзя перейти из состояния «{ $current }» в «{ $target }».
error-already-in-state = { $machine } уже { $state }.
error-stale-state = { $machine }: состояние только что изменилось (было «{ $current }»). Обновите данные и попробуйте снова.
error-no-workspace = Сначала выберите рабочее пространство: /workspaces, затем /use <имя>.
error-chat-not-yours = Этот чат подключён к другому рабочему пространству: здесь его читают другие люди, поэтому данные вашего пространства сюда не выводятся. Спросите бота в личном чате.
error-chat-archived = Рабочее пространство, к которому подключён этот чат, закрыто (в архиве): здесь больше не отвечают ни о нём, ни о других пространствах. Спросите бота в личном чате.
error-chat-choose-workspace = Этот чат подключён к нескольким рабочим пространствам, и ваше текущее не среди них. Выберите одно из них: /workspaces, затем /use <имя>.
error-chat-use-private = В этом чате можно выбрать только подключённые к нему рабочие пространства: его читают другие люди. Другое пространство выберите в личном чате с ботом.
error-bad-slug = «{ $slug }» не подходит как имя пространства: 2–40 символов, латинские строчные буквы, цифры и дефис, например acme-spb.
error-workspace-not-found = Рабочего пространства «{ $slug }» нет (или у вас нет к нему доступа).
error-workspace-exists = Пространство «{ $slug }» уже существует. Выберите другое имя.
error-bad-role = Роль «{ $role }» не подходит: можно manager или client.
error-invite-invalid = Код приглашения не найден. Проверьте, что скопировали его целиком и с теми же заглавными и строчными буквами (Xy7k — не xy7k).
error-invite-used = Этот код приглашения уже использован. Попросите новый.
error-invite-expired = Срок действия кода приглашения истёк. Попросите новый.
error-invite-archived = Рабочее пространство этого приглашения закрыто (в архиве): код больше ничего не открывает. Если вас ждут в другом, попросите новый код.
error-invite-member = Вы уже { $role ->
        [manager] менеджер
       *[other] клиент
    } этого пространства, и ваша роль не изменилась. Код теперь израсходован: для того, кому он предназначался, создайте новый — /invite.
error-invite-admin = Вы администратор агентства и уже видите все пространства: код приглашения вам не нужен. Код теперь израсходован: для того, кому он предназначался, создайте новый — /invite.
error-revoke-self = Нельзя отозвать доступ у самого себя.
error-member-not-found = В этом пространстве нет участника #{ $id }. Список: /members
error-chat-not-found = У этого пространства нет чата #{ $id }. Список: /chats
error-unbind-not-bound = Этот чат не подключён к текущему пространству, отключать нечего. Подключённые чаты: /chats
error-bad-locale = Язык «{ $locale }» не поддерживается: ru или en.
error-bind-no-chat = Эту команду нужно выполнить в чате или канале, который вы хотите подключить.
error-bind-client-chat = Этот чат подключён к другому пространству, а чат клиента принадлежит только одному пространству: клиент никогда не должен читать оповещения и отчёты чужого пространства. Подключите отдельный чат.
error-bind-taken = Этот чат уже получает уведомления другого пространства, которым вы не управляете: его участники читали бы оповещения и отчёты этого пространства. Подключите отдельный чат или обратитесь к администратору агентства.
error-bind-client-agency-chat = Этот чат получает оповещения агентства, в которых названы все пространства: он не может быть чатом клиента. Подключите для клиента отдельный чат.
error-approval-not-found = Запрос на подтверждение #{ $id } не найден.
error-approval-expired = Запрос #{ $id } устарел и больше не действует.
error-approval-decided = { $status ->
    [expired] Запрос #{ $id } устарел и больше не действует.
   *[other] Запрос #{ $id } уже { $status ->
        [approved] одобрен
        [rejected] отклонён
        [applied] выполнен
       *[other] закрыт
    }: { $who } ({ $via ->
        [telegram] Telegram
        [slack] Slack
        [console] консоль
       *[other] { $via }
    }).
}

# Что и в каком состоянии: названия в сообщениях о смене состояния
machine-domain = Домен
machine-mailbox = Ящик
machine-message = Письмо
machine-campaign = Кампания
machine-approval = Запрос
state-domain-new = новый
state-domain-dns-pending = ждёт настройки DNS
state-domain-warming = на прогреве
state-domain-active = в работе
state-domain-cooling = на остывании
state-domain-burned = выгорел
state-domain-retired = выведен из работы
state-mailbox-new = новый
state-mailbox-warming = на прогреве
state-mailbox-active = в работе
state-mailbox-cooldown = на остывании
state-mailbox-paused = приостановлен
state-mailbox-disabled = отключён
state-mailbox-retired = выведен из работы
state-message-planned = запланировано
state-message-queued = в очереди
state-message-sending = отправляется
state-message-sent = отправлено
state-message-failed = не отправлено
state-message-bounced = вернулось с отказом
state-message-cancelled = отменено
state-message-unknown = в неизвестном состоянии
state-campaign-draft = черновик
state-campaign-running = идёт
state-campaign-paused = приостановлена
state-campaign-completed = завершена
state-campaign-archived = в архиве
state-approval-pending = ждёт решения
state-approval-approved = одобрен
state-approval-rejected = отклонён
state-approval-expired = истёк
state-approval-applied = выполнен

start-unknown = Здравствуйте! Это Mailfleet — управление почтовыми ящиками для аутрича. Чтобы начать, отправьте код приглашения: /start <код>
start-known = С возвращением! Команды: /help
start-first = Здравствуйте! Это Mailfleet — управление почтовыми ящиками для аутрича. Ваши команды: /help
start-first-admin = Здравствуйте! Это Mailfleet, вы — администратор агентства. Начните с рабочего пространства для клиента: /workspace_new <имя> <название>. Все команды: /help
start-joined = Готово: вы подключены к пространству «{ $workspace }» ({ $slug }). Команды: /help
help-title = Доступные вам команды
help-group-start = Начало работы
help-group-reports = Отчёты
help-group-charts = Графики и выгрузки
help-group-domains = Домены и DNS
help-group-mailboxes = Ящики
help-group-warmup = Прогрев
help-group-monitoring = Здоровье и защита
help-group-alerts = Оповещения
help-group-reserve = Резерв и замены доменов
help-group-campaigns = Кампании
help-group-leads = Лиды и списки запрета
help-group-compliance = Закон и данные
help-group-costs = Расходы и ёмкость
help-group-team = Пространства, команда и чаты
list-more = … и ещё { $count }
list-page = Страница { $page } из { $pages }: листайте кнопками или /{ $command } <номер страницы>
label-count = { $label }: { $count }
help-more = Подробно об одной команде: /help <команда>, например /help use
help-example = Пример: { $example }
help-file = Файл: в Telegram пришлите его документом с подписью /{ $command }, в Slack — в личные сообщения боту с названием команды в тексте, в консоли — @путь.
help-file-slack = Файл: пришлите его мне в личные сообщения, написав в тексте сообщения «{ $command } …» (команду без /mailfleet).
help-aliases = Другое имя: { $aliases }
error-help-unknown = Среди ваших команд нет /{ $command }. Все ваши команды: /help
error-help-unknown-slack = Среди ваших команд нет /mailfleet { $command }. Все ваши команды: /mailfleet help
lang-set = Язык интерфейса: русский.
whoami = Вы: { $platform } { $id }. Роль: { $role }. Текущее пространство: { $workspace }.

role-admin = администратор агентства
role-manager = менеджер
role-client = клиент
role-none = нет роли

platform-telegram = Telegram
platform-slack = Slack
platform-console = консоль

purpose-alerts = оповещения
purpose-reports = отчёты
purpose-client = чат клиента (только еженедельный отчёт)

workspace-created = Создано пространство «{ $name }» ({ $slug }); оно выбрано текущим.
workspaces-none = Вы пока не участвуете ни в одном рабочем пространстве. Попросите менеджера прислать код приглашения и отправьте: /start <код>
workspaces-none-create = Рабочих пространств пока нет. Создайте: /workspace_new <имя> <название>
workspaces-title = Рабочие пространства
workspaces-more = Кнопки — для первых { $shown }; остальные ({ $count }) выберите командой /use <имя> из списка выше.
workspace-title = { $name } ({ $slug })
workspace-counts = Домены: { $domains } · ящики: { $mailboxes } · кампании: { $campaigns } · лиды: { $leads } · участники: { $members } · чаты: { $chats }
use-done = Текущее пространство: «{ $name }» ({ $slug }).
invite-created = Приглашение в пространство «{ $workspace }» ({ $slug }) для роли «{ $role }», действует до { $expires }. Код (одноразовый):
invite-how = Передайте человеку: это приглашение в «{ $workspace }» ({ $slug }); в Telegram отправьте боту /start { $code }, в Slack — /mailfleet join { $code }
members-none = В пространстве пока нет участников.
members-title = Участники
revoke-done = Доступ участника #{ $id } отозван.
bind-done = Этот чат подключён к пространству «{ $workspace }» ({ $slug }): { $purposes }.
chats-title = Чаты пространства «{ $workspace }» ({ $slug })
chats-none = Ни один чат не получает оповещений и отчётов этого пространства. Подключите чат: /bind alerts в нём.
chats-line = #{ $id } { $platform } { $chat }{ $here ->
        [yes] {" "}(этот чат)
       *[other] {""}
    } — { $purposes } · с { $since }
chats-how = Отключить чат: /unbind <номер> или /unbind в самом чате.
unbind-done = { $here ->
        [yes] Этот чат больше не получает
       *[other] { $platform } { $chat } больше не получает
    } оповещений и отчётов пространства «{ $workspace }» ({ $slug }).

approval-approved = Запрос #{ $id } ({ $subject }) одобрен.
approval-rejected = Запрос #{ $id } ({ $subject }) отклонён.
button-approve = Одобрить
button-reject = Отклонить

# Аргументы команд в /help: arg-<аргумент>, или arg-<команда>-<аргумент>, где у команды своё значение
arg-scope = область
arg-state = состояние
arg-chart = график
arg-reset = сброс
arg-locale = язык
arg-role = роль
arg-purpose = назначение чата
arg-code = код приглашения
arg-command = команда
arg-slug = пространство
arg-name = домен
arg-workspace-new-slug = имя
arg-workspace-new-name = название
arg-person = номер участника
arg-chat = номер чата
arg-id = номер запроса
arg-names = домены
arg-csv = CSV-файл
arg-selector = селектор
arg-key = ключ
arg-filters = фильтры
arg-page = номер страницы
arg-address = адрес
arg-domain-set-field = provider|registrar|pool|tracking
arg-domain-set-value = значение
arg-domain-id = номер домена
arg-pem = сертификат CA (файл PEM)
arg-target = ящик или домен
arg-which = ящик, домен или all
arg-setting = настройка
arg-warmup-settings-value = значение

cmd-start = начать работу или принять приглашение
cmd-help = список доступных команд
cmd-lang = язык интерфейса (ru или en)
cmd-whoami = кто я и в каком пространстве
cmd-workspace-new = создать рабочее пространство клиента
cmd-workspaces = мои рабочие пространства
cmd-workspace = сводка по пространству
cmd-use = выбрать текущее пространство
cmd-invite = пригласить менеджера или клиента
cmd-members = участники пространства
cmd-revoke = отозвать доступ участника
cmd-bind = подключить этот чат к оповещениям или отчётам; client — чат клиента: только еженедельный отчёт
cmd-chats = подключённые чаты пространства
cmd-unbind = отключить чат от пространства: этот или по номеру из /chats
cmd-approve = одобрить запрос
cmd-reject = отклонить запрос

alert-chat-unreachable = Уведомления не доставляются в { $platform ->
        [slack] канал Slack
       *[other] чат Telegram
    } { $chat } (пространство { $workspace }): { $reason }. Верните бота в этот чат, или отключите его (/chats, /unbind <номер>) и подключите другой командой /bind в нём.
alert-title = { $severity ->
    [critical] 🔴 Критично
    [warning] 🟠 Внимание
   *[other] ℹ️ К сведению
}
approval-title = Нужно ваше решение (запрос #{ $id })
approval-dns-apply = Применить DNS-план домена { $domain } ({ $calls } { $calls ->
    [one] изменение
    [few] изменения
   *[many] изменений
} у DNS-хостинга)?

error-upload-too-large = Файл слишком большой: не больше { $limit_kb } КБ.
error-upload-format = Это не текстовый файл, а файл { $format }. Сохраните его как «CSV UTF-8» и пришлите снова.
error-upload-binary = Это не текстовый файл (управляющие символы в { $count ->
    [one] строке
   *[other] строках
} { $lines }). Пришлите CSV или простой список.
error-upload-mixed-encoding = В файле смешаны две кодировки: { $count ->
    [one] строка { $lines } в Windows-1251, остальные
   *[other] строки { $lines } в Windows-1251, остальные
} в UTF-8. Сохраните весь файл в одной кодировке (лучше UTF-8) и пришлите снова.
error-upload-encoding = Файл не в UTF-8 и не в Windows-1251. Сохраните его как «CSV UTF-8» и пришлите снова.
error-console-file = Не удалось прочитать файл { $path }: { $reason ->
        [missing] такого файла нет
        [denied] нет прав на чтение
        [directory] это папка, а не файл
       *[other] ошибка чтения
    }.

error-warmup-setting = Настройка прогрева «{ $name }» не может быть «{ $value }»: допустимо { $bounds }.
error-warmup-setting-unknown = Настройки прогрева «{ $name }» нет. Есть: { $known }.
