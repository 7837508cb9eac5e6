using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cnnc.Engine.Zoo;

/// <summary>What a zoo model is, how it was trained and how well it does: stored as JSON beside its weights.</summary>
/// <param name="Name">Zoo name (the architecture's torchvision name).</param>
/// <param name="Architecture">Architecture name.</param>
/// <param name="Recipe">The training recipe, verbatim.</param>
/// <param name="Parameters">Parameter count.</param>
/// <param name="Macs">Multiply-accumulates for one 1x28x28 image.</param>
/// <param name="TestCorrect">Correct predictions on the Fashion-MNIST test set.</param>
/// <param name="TestCount">Test images (10,000).</param>
/// <param name="WeightsFile">File name of the safetensors weights.</param>
/// <param name="WeightsSha256">SHA-256 of that file.</param>
/// <param name="TrainingSeconds">Wall time of training.</param>
/// <param name="TrainedWith">Library versions and thread count used.</param>
public sealed record ZooModelCard(
    string Name, string Architecture, ZooRecipe Recipe, long Parameters, long Macs, int TestCorrect, int TestCount,
    string WeightsFile, string WeightsSha256, double TrainingSeconds, string TrainedWith)
{
    /// <summary>Test accuracy = TestCorrect / TestCount.</summary>
    [JsonIgnore]
    public double TestAccuracy => (double)TestCorrect / TestCount;

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    /// <summary>Serialises the card (snake_case JSON).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a card.</summary>
    public static ZooModelCard FromJson(string json) =>
        JsonSerializer.Deserialize<ZooModelCard>(json, Json) ?? throw new InvalidDataException("Empty model card.");
}
