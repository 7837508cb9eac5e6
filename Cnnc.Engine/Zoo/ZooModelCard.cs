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
/// <param name="TestPredictions">
/// The predicted class of every test image in dataset order, one digit per image (Fashion-MNIST has ten classes):
/// what <see cref="TestCorrect"/> counts, and what a check on part of the test set compares with.
/// </param>
public sealed record ZooModelCard(
    string Name, string Architecture, ZooRecipe Recipe, long Parameters, long Macs, int TestCorrect, int TestCount,
    string WeightsFile, string WeightsSha256, double TrainingSeconds, string TrainedWith, string? TestPredictions = null)
{
    /// <summary>The digits of <see cref="TestPredictions"/> for a model's predictions (classes 0–9).</summary>
    public static string Digits(IEnumerable<int> predicted) =>
        string.Concat(predicted.Select(p => p is >= 0 and <= 9 ? (char)('0' + p) : throw new ArgumentOutOfRangeException(nameof(predicted), $"class {p} is not one digit")));

    /// <summary>The recorded predictions as classes; an error when the card has none or not one per test image.</summary>
    public int[] RecordedPredictions() =>
        TestPredictions is { } digits && digits.Length == TestCount && digits.All(char.IsAsciiDigit)
            ? digits.Select(d => d - '0').ToArray()
            : throw new InvalidDataException($"The card of {Name} records no predictions for its {TestCount} test images " +
                                             "(record them with 'cnnc zoo verify --record').");

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
