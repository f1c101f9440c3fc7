from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0016_outbound_set_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='DailyStat',
            name='warmup_sent',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.RunSQL(  # the counters written before the column: the warmup messages still in the outbox, by the day
            # of the workspace's time zone as `engine.stats` counts them (UTC for a zone PostgreSQL does not know)
            """
            WITH zones AS (
                SELECT s.id, CASE WHEN s.timezone IN (SELECT name FROM pg_timezone_names) THEN s.timezone
                                  ELSE 'UTC' END AS tz
                FROM workspace s
            ), w AS (
                SELECT m.workspace_id AS ws, m.mailbox_id, b.domain_id, (m.sent_at AT TIME ZONE z.tz)::date AS day
                FROM outbound_message m JOIN mailbox b ON b.id = m.mailbox_id JOIN zones z ON z.id = m.workspace_id
                WHERE m.kind = 'warmup' AND m.sent_at IS NOT NULL
            ), c AS (
                SELECT 'mailbox' AS scope, mailbox_id AS scope_id, day, count(*) AS n FROM w GROUP BY 2, 3
                UNION ALL SELECT 'domain', domain_id, day, count(*) FROM w GROUP BY 2, 3
                UNION ALL SELECT 'workspace', ws, day, count(*) FROM w GROUP BY 2, 3
            )
            UPDATE daily_stat d SET warmup_sent = least(c.n, d.sent)
            FROM c WHERE d.scope = c.scope AND d.scope_id = c.scope_id AND d.day = c.day
            """,
            reverse_sql="SELECT 1",
        ),
    ]
