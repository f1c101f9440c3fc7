from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0024_login_failures_apart')]

    initial = False

    # Warmup settings changed mid-ramp recomputed every warming mailbox's volume from its start with the new values
    # (day 15 of 1 a day is 16, of 3 a day 44): the mark where its ramp continues from the volume it had reached
    operations = [
        ops.AddField(
            model_name='Mailbox',
            name='warmup_ramp_day',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Mailbox',
            name='warmup_ramp_level',
            field=fields.IntField(null=True),
        ),
    ]
