// The desk's own words in Russian and English; the shop's language (GET /api/me) chooses.

const words = {
  ru: {
    title: 'Пульт', signIn: 'Вход', staffId: 'Логин', password: 'Пароль', enter: 'Войти',
    badCredentials: 'Неверный логин или пароль', tooMany: 'Слишком много попыток, подождите',
    signOut: 'Выйти', tasks: 'Задачи', orders: 'Заказы', outbox: 'Сообщения', calls: 'Звонки',
    analytics: 'Аналитика', mine: 'Мои', others: 'Остальные', noTasks: 'Открытых задач нет',
    due: 'Срок', task: 'Задача', order: 'Заказ', assignee: 'Исполнитель', done: 'Готово',
    overdue: 'просрочено', overdueBy: 'просрочено на {0}', inStatus: 'в статусе {0}',
    taskDone: 'Задача закрыта', status: 'Статус', group: 'Группа', payment: 'Оплата',
    delivery: 'Доставка', channel: 'Канал', manager: 'Менеджер', search: 'Поиск',
    searchHint: 'номер, имя, телефон, email', onlyOverdue: 'только просроченные', any: 'все',
    apply: 'Показать', reset: 'Сбросить', more: 'Ещё', created: 'Создан', customer: 'Клиент',
    total: 'Сумма', noOrders: 'Заказов нет', items: 'Состав', sku: 'Артикул', name: 'Название', person: 'Имя',
    qty: 'Кол-во', price: 'Цена', tags: 'Метки', segment: 'Сегмент', timeline: 'История',
    messages: 'Сообщения', payments: 'Платежи', deliveries: 'Доставки', moveTo: 'Перевести в',
    comment: 'Комментарий', move: 'Перевести', flag: 'Отметить', flagged: 'Отметка поставлена',
    moved: 'Статус изменён', resend: 'Отправить снова', resent: 'Сообщение снова в очереди',
    attempts: 'Попытки', waiting: 'Ждёт', recipient: 'Получатель', template: 'Шаблон',
    sentAt: 'Отправлено', error: 'Ошибка', noMessages: 'Сообщений нет', noCalls: 'Звонков нет',
    direction: 'Направление', outcome: 'Итог', phone: 'Телефон', operator: 'Оператор',
    duration: 'Длительность', started: 'Начало', lead: 'лид', from: 'С', to: 'По', by: 'Шаг',
    day: 'день', week: 'неделя', period: 'Период', days7: '7 дней', days30: '30 дней',
    days90: '90 дней', onlySupervisors: 'Аналитика доступна руководителям',
    notBuilt: 'Нет данных', loading: 'Загрузка…', failed: 'Не удалось: {0}', back: 'Назад',
    actor: 'Кто', trigger: 'Правило', reason: 'Причина', none: '—', customerCard: 'Клиент',
    summary: 'Заказ', placed: 'Оформлен', updated: 'Изменён', notFound: 'Заказ не найден',
    'waiting.quiet_hours': 'тихие часы до {0}', 'waiting.retry': 'повтор в {0}',
    'waiting.no_provider': 'нет провайдера', 'waiting.queued': 'в очереди',
    'status.pending': 'ждёт', 'status.sending': 'отправляется', 'status.sent': 'отправлено',
    'status.failed': 'ошибка', 'status.open': 'открыта', 'status.done': 'закрыта',
    'chart.revenue': 'Выручка', 'chart.orders': 'Заказы', 'chart.average': 'Средний чек',
    'chart.conversion': 'Конверсия', 'chart.created': 'Создано', 'chart.completed': 'Выполнено',
    'chart.cancelled': 'Отменено', 'chart.in_progress': 'В работе', 'chart.rate': 'Конверсия',
    'chart.funnel': 'Воронка', 'chart.reached': 'Дошли', 'chart.dropped': 'Отпали',
    'chart.status-times': 'Время в статусах, ч', 'chart.median': 'Медиана', 'chart.p90': '90%',
    'chart.cancellations': 'Причины отмен', 'chart.count': 'Количество',
    'chart.repeat-purchases': 'Повторные покупки', 'chart.customers': 'Клиентов',
    'chart.repeat_rate': 'Доля повторных', 'chart.products': 'Товары (топ по выручке)',
    'chart.channels': 'Каналы', 'chart.messages': 'Сообщения по каналам', 'chart.sent': 'Отправлено',
    'chart.failed': 'Ошибки', 'chart.pending': 'В очереди', 'chart.calls': 'Звонки по дням',
    'chart.answered': 'Отвечено', 'chart.missed': 'Пропущено', 'chart.called_back': 'Перезвонили',
    'dir.inbound': 'входящий', 'dir.outbound': 'исходящий', 'dir.internal': 'внутренний',
    'out.answered': 'отвечен', 'out.missed': 'пропущен', 'out.unanswered': 'без ответа',
    presence: 'Мой статус', presenceHint: 'Новые заказы назначаются тем, кто на месте',
    'presence.hours.on': 'По графику: на смене', 'presence.hours.off': 'По графику: не на смене',
    'presence.online': 'На месте', 'presence.away30': 'Нет на месте 30 мин', 'presence.away': 'Нет на месте',
    'presence.offline': 'Не работаю', presenceUntil: 'до {0}', presenceSaved: 'Статус сохранён',
    load: 'заказов {0} из {1}', loadNoLimit: 'заказов {0}',
    bonuses: 'Бонусы', month: 'Месяц', prevMonth: 'Предыдущий месяц', nextMonth: 'Следующий месяц',
    downloadCsv: 'Скачать CSV', grandTotal: 'Итого', noBonuses: 'Бонусов за этот месяц нет', linesCount: 'строк: {0}',
    at: 'Когда', rule: 'Правило', triggerId: 'Триггер', kind: 'Вид', basis: 'Расчёт', amount: 'Сумма',
    'kind.accrual': 'начисление', 'kind.reversal': 'сторно',
    keys: 'Клавиши: 1–7 разделы, / поиск, j/k строки, Enter открыть',
    dryrun: 'Проверка правил',
  },
  en: {
    title: 'Desk', signIn: 'Sign in', staffId: 'Staff id', password: 'Password', enter: 'Sign in',
    badCredentials: 'Wrong staff id or password', tooMany: 'Too many attempts, please wait',
    signOut: 'Sign out', tasks: 'Tasks', orders: 'Orders', outbox: 'Messages', calls: 'Calls',
    analytics: 'Analytics', mine: 'Mine', others: 'Others', noTasks: 'No open tasks',
    due: 'Due', task: 'Task', order: 'Order', assignee: 'Assignee', done: 'Done',
    overdue: 'overdue', overdueBy: 'overdue by {0}', inStatus: 'in status for {0}',
    taskDone: 'Task done', status: 'Status', group: 'Group', payment: 'Payment',
    delivery: 'Delivery', channel: 'Channel', manager: 'Manager', search: 'Search',
    searchHint: 'order id, name, phone, email', onlyOverdue: 'overdue only', any: 'any',
    apply: 'Show', reset: 'Reset', more: 'More', created: 'Created', customer: 'Customer',
    total: 'Total', noOrders: 'No orders', items: 'Items', sku: 'SKU', name: 'Name', person: 'Name',
    qty: 'Qty', price: 'Price', tags: 'Tags', segment: 'Segment', timeline: 'History',
    messages: 'Messages', payments: 'Payments', deliveries: 'Deliveries', moveTo: 'Move to',
    comment: 'Comment', move: 'Move', flag: 'Flag', flagged: 'Flag set',
    moved: 'Status changed', resend: 'Resend', resent: 'Message queued again',
    attempts: 'Attempts', waiting: 'Waiting', recipient: 'Recipient', template: 'Template',
    sentAt: 'Sent', error: 'Error', noMessages: 'No messages', noCalls: 'No calls',
    direction: 'Direction', outcome: 'Outcome', phone: 'Phone', operator: 'Operator',
    duration: 'Duration', started: 'Started', lead: 'lead', from: 'From', to: 'To', by: 'By',
    day: 'day', week: 'week', period: 'Period', days7: '7 days', days30: '30 days',
    days90: '90 days', onlySupervisors: 'Analytics is for supervisors',
    notBuilt: 'No data', loading: 'Loading…', failed: 'Failed: {0}', back: 'Back',
    actor: 'Who', trigger: 'Rule', reason: 'Reason', none: '—', customerCard: 'Customer',
    summary: 'Order', placed: 'Placed', updated: 'Updated', notFound: 'No such order',
    'waiting.quiet_hours': 'quiet hours until {0}', 'waiting.retry': 'retry at {0}',
    'waiting.no_provider': 'no provider', 'waiting.queued': 'queued',
    'status.pending': 'pending', 'status.sending': 'sending', 'status.sent': 'sent',
    'status.failed': 'failed', 'status.open': 'open', 'status.done': 'done',
    'chart.revenue': 'Revenue', 'chart.orders': 'Orders', 'chart.average': 'Average order',
    'chart.conversion': 'Conversion', 'chart.created': 'Created', 'chart.completed': 'Completed',
    'chart.cancelled': 'Cancelled', 'chart.in_progress': 'In progress', 'chart.rate': 'Rate',
    'chart.funnel': 'Funnel', 'chart.reached': 'Reached', 'chart.dropped': 'Dropped',
    'chart.status-times': 'Time in status, h', 'chart.median': 'Median', 'chart.p90': 'p90',
    'chart.cancellations': 'Cancellation reasons', 'chart.count': 'Count',
    'chart.repeat-purchases': 'Repeat purchases', 'chart.customers': 'Customers',
    'chart.repeat_rate': 'Repeat rate', 'chart.products': 'Products (top by revenue)',
    'chart.channels': 'Channels', 'chart.messages': 'Messages by channel', 'chart.sent': 'Sent',
    'chart.failed': 'Failed', 'chart.pending': 'Pending', 'chart.calls': 'Calls by day',
    'chart.answered': 'Answered', 'chart.missed': 'Missed', 'chart.called_back': 'Called back',
    'dir.inbound': 'inbound', 'dir.outbound': 'outbound', 'dir.internal': 'internal',
    'out.answered': 'answered', 'out.missed': 'missed', 'out.unanswered': 'unanswered',
    presence: 'My status', presenceHint: 'New orders go to those who are available',
    'presence.hours.on': 'By my hours: on shift', 'presence.hours.off': 'By my hours: off shift',
    'presence.online': 'Online', 'presence.away30': 'Away for 30 min', 'presence.away': 'Away',
    'presence.offline': 'Offline', presenceUntil: 'until {0}', presenceSaved: 'Status saved',
    load: '{0} of {1} orders', loadNoLimit: '{0} orders',
    bonuses: 'Bonuses', month: 'Month', prevMonth: 'Previous month', nextMonth: 'Next month',
    downloadCsv: 'Download CSV', grandTotal: 'Total', noBonuses: 'No bonuses this month', linesCount: '{0} lines',
    at: 'When', rule: 'Rule', triggerId: 'Trigger', kind: 'Kind', basis: 'Basis', amount: 'Amount',
    'kind.accrual': 'accrual', 'kind.reversal': 'reversal',
    keys: 'Keys: 1–7 screens, / search, j/k rows, Enter open',
    dryrun: 'Dry run',
  },
};

let lang = 'en';

export function setLanguage(code) {
  lang = code === 'ru' ? 'ru' : 'en';
  document.documentElement.lang = lang;
  try { localStorage.setItem('desk.lang', lang); } catch { /* private mode */ }
}

export function language() { return lang; }

/** Before signing in the shop's language is unknown: the last one seen here, or the browser's. */
export function guessLanguage() {
  let saved = null;
  try { saved = localStorage.getItem('desk.lang'); } catch { saved = null; }
  if (saved === 'ru' || saved === 'en') return saved;
  return (navigator.language || '').toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

/** t('overdueBy', '2 h') */
export function t(key, ...args) {
  const text = words[lang][key] ?? words.en[key] ?? key;
  return args.reduce((s, a, i) => s.replace(`{${i}}`, a), text);
}

/** A word for a code if the desk has one (`status.failed`), else the code itself. */
export function word(prefix, code) {
  if (code === null || code === undefined) return t('none');
  const key = `${prefix}.${code}`;
  return words[lang][key] ?? code;
}
