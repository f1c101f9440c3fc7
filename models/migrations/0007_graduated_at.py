from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import PartialIndex

class Migration(migrations.Migration):
    dependencies = [('models', '0006_campaigns')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Enrollment',
            index=PartialIndex(fields=['campaign_id', 'next_due_at'], name='enrollment_campaign_due', condition={'state': 'active'}),
        ),
        ops.AddField(
            model_name='Mailbox',
            name='graduated_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunSQL(  # mailboxes that graduated before the column: their last `warming → active` in the audit log
            """
            UPDATE mailbox b SET graduated_at = g.at
            FROM (
                SELECT substr(subject, 9)::int AS id, max(created_at) AS at FROM audit_log
                WHERE action = 'mailbox.transition' AND subject LIKE 'mailbox:%'
                    AND data->>'from' = 'warming' AND data->>'to' = 'active'
                GROUP BY 1
            ) g
            WHERE b.id = g.id AND b.status = 'active'
            """,
            reverse_sql="SELECT 1",
        ),
    ]
