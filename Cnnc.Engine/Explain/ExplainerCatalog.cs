namespace Cnnc.Engine.Explain;

/// <summary>The built-in explainers by name.</summary>
public static class ExplainerCatalog
{
    private static readonly (string Name, string Description, Func<Explainer> Create)[] Entries =
    {
        ("gradcam", "Grad-CAM (Selvaraju et al. 2017)", () => new GradCam()),
        ("gradcam++", "Grad-CAM++ (Chattopadhay et al. 2018, Eq. 19)", () => new GradCamPlusPlus()),
        ("smoothgradcam++", "Smooth Grad-CAM++ (Omeiza et al. 2019), 25 samples, noise 0.15, seeded", () => new SmoothGradCamPlusPlus()),
        ("scorecam", "Score-CAM (Wang et al. 2020)", () => new ScoreCam()),
        ("bbmp", "Meaningful perturbation (Fong & Vedaldi 2017), 300 Adam steps on a 28x28 mask", () => new Bbmp()),
        ("xgradcam", "XGrad-CAM (Fu et al. 2020)", () => new XGradCam()),
        ("layercam", "LayerCAM (Jiang et al. 2021)", () => new LayerCam()),
        ("eigencam", "Eigen-CAM (Muhammad & Yeasin 2020), class-agnostic", () => new EigenCam()),
        ("ablationcam", "Ablation-CAM (Desai & Ramaswamy 2020)", () => new AblationCam()),
        ("rise", "RISE (Petsiuk et al. 2018), 4000 masks, seeded", () => new Rise()),
    };

    /// <summary>Canonical names, the paper's five first.</summary>
    public static IReadOnlyList<string> Names { get; } = Entries.Select(e => e.Name).ToArray();

    /// <summary>One line describing each method.</summary>
    public static string Describe(string name) => Entries.First(e => e.Name == Canonical(name)).Description;

    /// <summary>
    /// A new explainer with default settings. Names are matched ignoring case, '-', '_' and spaces; "pp" or "plusplus"
    /// may stand for "++" ("grad-cam++", "GradCAMpp", "smooth_gradcam_pp"). An unknown name lists the known ones.
    /// </summary>
    public static Explainer Create(string name) => Entries.First(e => e.Name == Canonical(name)).Create();

    private static string Canonical(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = new string(name.Where(ch => ch is not ('-' or '_' or ' ')).ToArray()).ToLowerInvariant();
        if (key.EndsWith("plusplus", StringComparison.Ordinal)) key = key[..^"plusplus".Length] + "++";
        else if (key.EndsWith("pp", StringComparison.Ordinal)) key = key[..^2] + "++";
        if (key == "meaningfulperturbation") key = "bbmp";
        return Entries.Any(e => e.Name == key)
            ? key
            : throw new ArgumentException($"Unknown explanation method '{name}'. Known: {string.Join(", ", Names)}.");
    }
}
