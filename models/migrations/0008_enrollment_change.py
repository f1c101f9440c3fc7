from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_graduated_at')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EnrollmentChange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('campaign_id', fields.IntField()),
            ],
            options={'table': 'enrollment_change', 'app': 'models', 'indexes': [Index(fields=['campaign_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A statement changed enrollments of a campaign: one row per statement and campaign, written by triggers on'},
            bases=['Model'],
        ),
        ops.RunSQL(  # one row per statement and campaign; the campaign planner's own writes (it sets
            # `mailfleet.planning`) are not changes it must see again
            """
            CREATE FUNCTION enrollment_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF coalesce(current_setting('mailfleet.planning', true), '') <> 'on' THEN
                    INSERT INTO enrollment_change (campaign_id) SELECT DISTINCT campaign_id FROM changed;
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER enrollment_inserted AFTER INSERT ON enrollment
                REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION enrollment_changed();
            CREATE TRIGGER enrollment_updated AFTER UPDATE ON enrollment
                REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION enrollment_changed();
            CREATE TRIGGER enrollment_deleted AFTER DELETE ON enrollment
                REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION enrollment_changed();
            """,
            reverse_sql="""
            DROP TRIGGER IF EXISTS enrollment_inserted ON enrollment;
            DROP TRIGGER IF EXISTS enrollment_updated ON enrollment;
            DROP TRIGGER IF EXISTS enrollment_deleted ON enrollment;
            DROP FUNCTION IF EXISTS enrollment_changed();
            """,
        ),
    ]
