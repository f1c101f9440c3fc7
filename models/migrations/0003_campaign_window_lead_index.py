from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_notified_at')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Enrollment',
            index=Index(fields=['lead_id']),
        ),
    ]
