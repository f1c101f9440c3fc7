from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0013_warmup_change')]

    initial = False

    operations = [
        ops.RunSQL(  # every row moves planned → queued → sending → sent: three dead versions each, 60,000+ rows a day.
            # PostgreSQL's default (vacuum after 20 % of the table is dead) lets that pile up for days on a table of
            # millions, and the claim's count of rows in `sending` walks the dead entries of its partial index.
            """
            ALTER TABLE outbound_message SET (
                autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 5000,
                autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 5000
            )
            """,
            reverse_sql="""
            ALTER TABLE outbound_message RESET (
                autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold,
                autovacuum_analyze_scale_factor, autovacuum_analyze_threshold
            )
            """,
        ),
    ]
