using Azure.Data.Tables;

namespace Scheduler.Storage.Tests.Fixtures;

/// <summary>Writes Schedules entries the way a person with Storage Explorer would: raw TableClient, no scheduler API.</summary>
public static class TableWrites
{
    public static async Task PutRawAsync(this TableClient schedules, string id, params (string Name, object Value)[] columns)
    {
        var entity = new TableEntity("default", id);
        foreach (var (name, value) in columns)
        {
            entity[name] = value;
        }

        await schedules.UpsertEntityAsync(entity, TableUpdateMode.Replace);
    }
}
