from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0019_one_queued_index')]

    initial = False

    # the sample of the open rate, counted per message as it is sent (`engine.stats.PIXEL_SENT`): before, every
    # send of a campaign that is HTML *now* was taken for one with a pixel, so a campaign switched to or from HTML
    # midway had its open rate measured over the wrong mail
    operations = [
        ops.AddField(
            model_name='DailyStat',
            name='pixel_sent',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.RunSQL(  # the counters written before the column, as they were measured until now: a campaign's and
            # a workspace's sends of the campaigns that are HTML; a mailbox's and a domain's such sends still in the
            # outbox, by the day of the workspace's time zone as `engine.stats` counts them (UTC for a zone
            # PostgreSQL does not know); and the SENT events of those campaigns (a mailbox's last sends)
            """
            WITH zones AS (
                SELECT s.id, CASE WHEN s.timezone IN (SELECT name FROM pg_timezone_names) THEN s.timezone
                                  ELSE 'UTC' END AS tz
                FROM workspace s
            ), w AS (
                SELECT m.workspace_id AS ws, m.mailbox_id, b.domain_id, (m.sent_at AT TIME ZONE z.tz)::date AS day
                FROM outbound_message m JOIN campaign c ON c.id = m.campaign_id AND c.html
                JOIN mailbox b ON b.id = m.mailbox_id JOIN zones z ON z.id = m.workspace_id
                WHERE m.kind = 'campaign' AND m.sent_at IS NOT NULL
            ), h AS (
                SELECT d.workspace_id, d.scope_id, d.day, d.sent FROM daily_stat d
                JOIN campaign c ON c.id = d.scope_id AND c.html WHERE d.scope = 'campaign'
            ), n AS (
                SELECT 'mailbox' AS scope, mailbox_id AS scope_id, day, count(*) AS n FROM w GROUP BY 2, 3
                UNION ALL SELECT 'domain', domain_id, day, count(*) FROM w GROUP BY 2, 3
                UNION ALL SELECT 'campaign', scope_id, day, sum(sent) FROM h GROUP BY 2, 3
                UNION ALL SELECT 'workspace', workspace_id, day, sum(sent) FROM h GROUP BY 2, 3
            )
            UPDATE daily_stat d SET pixel_sent = least(n.n, d.sent)
            FROM n WHERE d.scope = n.scope AND d.scope_id = n.scope_id AND d.day = n.day;
            UPDATE event e SET data = e.data || '{"pixel": true}'::jsonb
            FROM campaign c WHERE e.kind = 'sent' AND c.id = e.campaign_id AND c.html
            """,
            reverse_sql="SELECT 1",
        ),
    ]
