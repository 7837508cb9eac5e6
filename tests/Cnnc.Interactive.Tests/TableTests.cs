using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using Microsoft.DotNet.Interactive.Formatting;
using Microsoft.DotNet.Interactive.Formatting.TabularData;

namespace Cnnc.Interactive.Tests;

/// <summary>
/// Every result table goes to pandas and to Microsoft.Data.Analysis: the rows of a comparison, an inspection and an
/// overview become a <see cref="TabularDataResource"/> (what <c>#!share</c> hands a Python kernel, as table-schema
/// JSON) and a <see cref="DataFrame"/>, with the numbers of the rows and without the pictures and maps.
/// </summary>
[Collection("study")]
public sealed class TableTests(StudyFixture study)
{
    [Fact]
    public void Comparison_rows_become_a_table_and_a_data_frame()
    {
        var comparison = study.Session.Compare(new() { Class = "c3-dress", Threshold = 0.4 });
        var table = comparison.Rows.ToTabularDataResource();
        var fields = table.Schema.Fields.Select(f => f.Name).ToList();
        Assert.Contains("RoiSize", fields);
        Assert.Contains("Model", fields);
        Assert.DoesNotContain("Heatmap", fields);
        Assert.DoesNotContain("Map", fields);

        var frame = table.ToDataFrame();
        Assert.Equal(comparison.Rows.Count, frame.Rows.Count);
        for (var i = 0; i < comparison.Rows.Count; i++)
        {
            Assert.Equal(comparison.Rows[i].Model, frame["Model"][i]);
            Assert.Equal(comparison.Rows[i].RoiSize, Convert.ToDouble(frame["RoiSize"][i]));
            Assert.Equal(comparison.Rows[i].Correct, frame["Correct"][i]);
        }

        // What #!share sends to a Python kernel (pandas reads it with pd.read_json(orient="table")).
        var json = JsonNode.Parse(table.ToDisplayString(TabularDataResourceFormatter.MimeType))!;
        var data = json["data"]!.AsArray();
        Assert.Equal(comparison.Rows.Count, data.Count);
        Assert.Equal(comparison.Rows[1].PredictionConfidence, (double)data[1]!["PredictionConfidence"]!, 12);
        Assert.Null(data[0]!["Heatmap"]);
    }

    [Fact]
    public void Inspection_and_overview_rows_become_data_frames()
    {
        var inspection = study.Session.Inspect(new() { Model = "tiny-resnet18", Classes = new[] { "c3-dress" }, Method = "gradcam", Rows = 5 });
        var rows = inspection.Rows.ToTabularDataResource().ToDataFrame();
        Assert.Equal(5, rows.Rows.Count);
        Assert.Equal(inspection.Rows.Select(r => (object)r.Index), Enumerable.Range(0, 5).Select(i => Convert.ChangeType(rows["Index"][i], typeof(int))));
        Assert.DoesNotContain(rows.Columns, c => c.Name is "Histogram" or "Heatmap" or "Map");

        var overview = study.Session.Overview(new() { Explain = ExplainScope.None });
        var models = overview.Models.ToTabularDataResource().ToDataFrame();
        Assert.Equal(overview.Models.Count, models.Rows.Count);
        Assert.Equal(overview.Models[2].Parameters, Convert.ToInt64(models["Parameters"][2]));
        Assert.Equal(overview.Models[1].Accuracy.Overall, Convert.ToDouble(models["OverallAccuracy"][1]));
        Assert.DoesNotContain(models.Columns, c => c.Name is "Accuracy" or "Timing");
    }
}
