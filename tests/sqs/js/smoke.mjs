// Cross-SDK smoke test: the AWS SDK for JavaScript v3 against spotq's SQS server.
// Usage: node smoke.mjs ENDPOINT_URL  (NODE_PATH names the SDK's node_modules)
// Prints one JSON object of what each step saw; tests/sqs/test_js_sdk.py checks it. The SDK
// itself checks MD5OfBody / MD5OfMessageBody on send, batch send and receive; the message
// attributes' digest is checked here with AWS's published algorithm.
import { createHash } from "node:crypto";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const sqs = require("@aws-sdk/client-sqs");

const client = new sqs.SQSClient({
  endpoint: process.argv[2],
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  maxAttempts: 1,
});
const send = (Command, input) => client.send(new Command(input));

function attributesMd5(attributes) {
  const parts = [];
  const field = (bytes) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const { DataType, StringValue, BinaryValue } = attributes[name];
    field(Buffer.from(name, "utf8"));
    field(Buffer.from(DataType, "utf8"));
    const binary = DataType.startsWith("Binary");
    parts.push(Buffer.from([binary ? 2 : 1]));
    field(binary ? Buffer.from(BinaryValue) : Buffer.from(StringValue, "utf8"));
  }
  return createHash("md5").update(Buffer.concat(parts)).digest("hex");
}

async function failure(promise) {
  try {
    await promise;
    return null;
  } catch (error) {
    return {
      name: error.name,
      code: error.Code ?? null,
      status: error.$metadata?.httpStatusCode ?? null,
      modeled: Object.values(sqs).some(
        (cls) => typeof cls === "function" && cls !== sqs.SQSServiceException &&
          cls.prototype instanceof sqs.SQSServiceException && error instanceof cls,
      ),
    };
  }
}

const out = {};
const { QueueUrl: url } = await send(sqs.CreateQueueCommand, { QueueName: "js-smoke" });
const attributes = {
  text: { DataType: "String", StringValue: "héllo" },
  count: { DataType: "Number", StringValue: "42" },
  blob: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 254]) },
};
const sent = await send(sqs.SendMessageCommand, {
  QueueUrl: url, MessageBody: "body ✓", MessageAttributes: attributes,
});
out.sendAttributesMd5Ok = sent.MD5OfMessageAttributes === attributesMd5(attributes);
const got = await send(sqs.ReceiveMessageCommand, {
  QueueUrl: url, MessageAttributeNames: ["All"], MaxNumberOfMessages: 10,
});
const message = got.Messages[0];
out.receivedBody = message.Body;
out.receivedAttributeNames = Object.keys(message.MessageAttributes).sort();
out.receiveAttributesMd5Ok =
  message.MD5OfMessageAttributes === attributesMd5(message.MessageAttributes);

const { QueueUrl: fifo } = await send(sqs.CreateQueueCommand, {
  QueueName: "js-smoke.fifo",
  Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true" },
});
const sequence = [];
for (const body of ["first", "second", "first"]) {
  const reply = await send(sqs.SendMessageCommand, {
    QueueUrl: fifo, MessageBody: body, MessageGroupId: "g",
  });
  sequence.push(reply.SequenceNumber);
}
out.fifoDuplicateSameSequence = sequence[0] === sequence[2];
const fifoGot = await send(sqs.ReceiveMessageCommand, { QueueUrl: fifo, MaxNumberOfMessages: 10 });
out.fifoBodies = fifoGot.Messages.map((m) => m.Body);

const batch = await send(sqs.SendMessageBatchCommand, {
  QueueUrl: url,
  Entries: [
    { Id: "good", MessageBody: "fine" },
    { Id: "bad", MessageBody: "bad \u0001 character" },
  ],
});
out.batchSuccessful = (batch.Successful ?? []).map((e) => e.Id);
out.batchFailed = (batch.Failed ?? []).map((e) => [e.Id, e.Code, e.SenderFault]);

out.queueDoesNotExist = await failure(send(sqs.GetQueueUrlCommand, { QueueName: "nope" }));
out.emptyBatch = await failure(send(sqs.SendMessageBatchCommand, { QueueUrl: url, Entries: [] }));
out.invalidParameter = await failure(
  send(sqs.ReceiveMessageCommand, { QueueUrl: url, MaxNumberOfMessages: 11 }),
);
console.log(JSON.stringify(out));
