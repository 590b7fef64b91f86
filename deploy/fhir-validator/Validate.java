// Validates FHIR R4 resources, one JSON resource per line of each file named,
// with the HAPI FHIR reference validator (R4 core profiles, in-memory
// terminology), in one JVM. Prints one tab-separated line per message:
// severity, Type/id, location, message. Run as a single-file program:
//   java -cp '.cache/fhir-validator/<version>/libs/*' deploy/fhir-validator/Validate.java resources.ndjson
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import java.nio.file.Files;
import java.nio.file.Path;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;

public class Validate {
    public static void main(String[] args) throws Exception {
        FhirContext context = FhirContext.forR4();
        ValidationSupportChain support = new ValidationSupportChain(
                new DefaultProfileValidationSupport(context),
                new InMemoryTerminologyServerValidationSupport(context),
                new CommonCodeSystemsTerminologyService(context),
                new SnapshotGeneratingValidationSupport(context));
        FhirValidator validator = context.newValidator().registerValidatorModule(new FhirInstanceValidator(support));
        int resources = 0;
        for (String file : args) {
            for (String line : Files.readAllLines(Path.of(file))) {
                if (line.isBlank()) {
                    continue;
                }
                resources++;
                ValidationResult result = validator.validateWithResult(line);
                String name = result.getMessages().isEmpty() ? "" : nameOf(line);
                for (SingleValidationMessage message : result.getMessages()) {
                    System.out.println(message.getSeverity() + "\t" + name + "\t" + message.getLocationString()
                            + "\t" + message.getMessage().replace('\t', ' ').replace('\n', ' '));
                }
            }
        }
        System.out.println("DONE\t" + resources);
    }

    private static String nameOf(String json) {
        String type = field(json, "resourceType");
        return type + "/" + field(json, "id");
    }

    private static String field(String json, String name) {
        int at = json.indexOf("\"" + name + "\"");
        if (at < 0) {
            return "?";
        }
        int start = json.indexOf('"', json.indexOf(':', at) + 1) + 1;
        return json.substring(start, json.indexOf('"', start));
    }
}
