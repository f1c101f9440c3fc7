## Содержание писем кампании: шаблоны, проверка перед запуском, сборка письма

error-template-syntax = Ошибка в шаблоне ({ $where }), символ { $position }: { $detail ->
    [unclosed-spintax] «{"{{"}» открыт, но не закрыт «{"}}"}»
    [unclosed-placeholder] поле «{"{"}» не закрыто «{"}"}» в той же строке
    [unexpected-close] лишняя «{"}"}»; чтобы написать фигурную скобку как текст, поставьте перед ней \
    [bad-placeholder] в фигурных скобках должно быть имя поля (буквы, цифры, _), например {"{"}first_name{"}"}; скобку как текст пишут так: \{"{"}
    [brace-in-placeholder] внутри поля не может быть «{"{"}»
    [too-deep] вложенность вариантов больше { $limit } уровней
    [too-long] шаблон длиннее { $limit } символов
   *[other] неверный синтаксис
}
error-template-output-too-long = Шаблон ({ $where }) даёт текст длиннее { $limit } символов
error-compose-lead-gone = Лид удалён: письмо не собрать
error-content-campaign-not-found = Кампания не найдена
error-content-step-not-found = В кампании нет шага { $step }
error-content-variant-not-found = В шаге { $step } нет варианта { $variant }
error-content-lead-not-found = Лида { $email } в этом пространстве нет

content-where-subject = вариант { $variant }, тема
content-where-body = вариант { $variant }, текст
content-where-step-subject = шаг { $step }, вариант { $variant }, тема
content-where-step-body = шаг { $step }, вариант { $variant }, текст
content-part-subject = тема
content-part-body = текст

content-missing-identity = Не указан отправитель для подписи писем (название и адрес): без них письма не отправляются (38-ФЗ, ст. 18)
content-no-variants = В шаге нет ни одного варианта письма
content-empty-variant = Вариант { $variant }: пустое поле «{ $part }»
content-blank-render = Вариант { $variant }: поле «{ $part }» может выйти пустым — в спинтаксе {"{{…}}"} пустой вариант (или у поля пустая замена {"{"}поле|{"}"}), а другого текста нет; допишите текст
content-unknown-placeholder = Вариант { $variant }: неизвестные поля { $names } — таких колонок нет у лидов кампании; добавьте запасное значение, например {"{"}first_name|коллега{"}"}
content-placeholder-typo = Вариант { $variant }: опечатка в поле? { $names } — исправьте имя поля (запасное значение после | опечатку не исправит: оно будет в каждом письме)
content-html-tags = Вариант { $variant }: HTML-теги ({ $tags }) — письмо пишется простым текстом, и теги дойдут до лида как написаны
content-footer-does-not-fit = Вариант { $variant }: текст так длинен, что подпись и ссылка для отписки в письмо не помещаются
content-spam-words = Вариант { $variant }: слова, которые не любят спам-фильтры: { $words }
content-caps = Вариант { $variant }: текст заглавными буквами: { $words }
content-exclamations = Вариант { $variant }: много восклицательных знаков ({ $count })
content-too-many-links = Вариант { $variant }: ссылок { $count } — больше { $limit } выглядит как рассылка
content-body-too-short = Вариант { $variant }: текст короткий ({ $length } симв., меньше { $limit })
content-body-too-long = Вариант { $variant }: текст длинный ({ $length } симв., больше { $limit })
content-subject-too-long = Вариант { $variant }: тема длинная ({ $length } симв.); почтовые программы показывают около { $limit }

content-unsubscribe-line = Чтобы больше не получать писем, перейдите по ссылке: { $url } — или ответьте на это письмо словом «отписаться».
content-unsubscribe-html = Отписаться от писем

content-sample-email = ivan.petrov@example.ru
content-sample-first-name = Иван
content-sample-last-name = Петров
content-sample-company = Ромашка
content-sample-sender-name = Анна
content-sample-sender-company = ООО «Пример»
content-sample-custom = значение
