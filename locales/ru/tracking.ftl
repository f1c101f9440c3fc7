## Страницы трекинга: отписка и ошибки

tracking-unsubscribe-title = Отписка от писем
tracking-unsubscribe-question = Нажмите кнопку, и мы больше не будем вам писать.
tracking-unsubscribe-button = Отписаться
tracking-unsubscribed = Готово: вы отписаны, писем больше не будет.
tracking-not-found-title = Ссылка не найдена
tracking-not-found = Эта ссылка неверна или устарела.
tracking-too-large-title = Слишком большой запрос
tracking-too-large = Запрос слишком большой.
tracking-unavailable-title = Сервис временно недоступен
tracking-unavailable = Не получилось обработать ссылку. Попробуйте ещё раз через несколько минут.
